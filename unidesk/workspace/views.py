"""Agent workspace pages and the HTMX partials they update themselves with.

Each view parses the input (``forms``), calls one selector or service, and renders. Actions
on a ticket answer an HTMX request with the changed parts of the page (out-of-band swaps)
and a plain form post with a redirect, so the workspace also works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from unidesk.accounts.models import Agent
from unidesk.accounts.services import agent_set_language
from unidesk.channels.composer import reply_options
from unidesk.channels.outbox import retry_failed
from unidesk.channels.selectors import delivery_get_for
from unidesk.channels.services import (
    conversation_continue_privately,
    reply_send,
    reply_send_template,
)
from unidesk.core.actor import Actor
from unidesk.core.errors import DomainError, NotFound, ValidationFailed
from unidesk.core.http import file_response
from unidesk.core.pagination import Page
from unidesk.tickets.models import Priority, Status, Ticket
from unidesk.tickets.selectors import attachment_get_for, ticket_get_by_number_for
from unidesk.tickets.services import note_add, ticket_update
from unidesk.workspace import forms
from unidesk.workspace.selectors import (
    TicketDetail,
    customer_detail,
    inbox_views,
    ticket_detail,
    ticket_list,
)

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


class WorkspaceRequest(HttpRequest):
    htmx: HtmxDetails


def _agent(request: HttpRequest) -> Agent:
    # Every view is behind login_required, and agents are the only users there are.
    return cast(Agent, request.user)


def _partial(request: WorkspaceRequest) -> bool:
    """An HTMX request that wants a piece of a page (a history restore wants the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def not_found_is_404(view: V) -> V:
    """A missing object and one the agent may not see both answer 404."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(*args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return cast(V, wrapper)


# --- lists ----------------------------------------------------------------------------------


def _next_url(request: HttpRequest, params: Mapping[str, str], cursor: str | None) -> str:
    if cursor is None:
        return ""
    return f"{request.path}?{urlencode({**params, 'cursor': cursor})}"


def _list_response(
    request: WorkspaceRequest,
    query: forms.ListQuery,
    template: str,
    context: Mapping[str, Any],
    *,
    run: bool = True,
) -> HttpResponse:
    error = ""
    page: Page[Ticket] = Page(items=[], next=None)
    if run:
        try:
            page = ticket_list(_agent(request), query)
        except ValidationFailed:
            # Status, sort and view were checked while parsing; only a damaged or outdated
            # cursor is left to refuse.
            error = _("This list cannot be continued from there. Open it again from the start.")
    full_context = {
        "query": query,
        "page": page,
        "next_url": _next_url(request, query.params(), page.next),
        "status_values": Status.values,
        "error": error,
        **context,
    }
    status = 400 if error else 200
    if _partial(request) and query.cursor:
        return render(request, "workspace/_ticket_rows.html", full_context, status=status)
    return render(request, template, full_context, status=status)


@login_required
@require_GET
def inbox(request: WorkspaceRequest) -> HttpResponse:
    agent = _agent(request)
    query = forms.parse_inbox_query(agent, request.GET)
    views = [] if _partial(request) and query.cursor else inbox_views(agent)
    return _list_response(request, query, "workspace/inbox.html", {"views": views})


@login_required
@require_GET
def search(request: WorkspaceRequest) -> HttpResponse:
    query = forms.parse_search_query(request.GET)
    return _list_response(request, query, "workspace/search.html", {}, run=bool(query.q))


# --- one ticket -----------------------------------------------------------------------------


@login_required
@require_GET
@not_found_is_404
def ticket(request: WorkspaceRequest, number: int) -> HttpResponse:
    detail = ticket_detail(_agent(request), number)
    return render(request, "workspace/ticket.html", _ticket_context(detail))


def _ticket_context(detail: TicketDetail, **extra: Any) -> dict[str, Any]:
    return {
        "d": detail,
        "ticket": detail.ticket,
        "statuses_after_reply": forms.STATUSES_AFTER_REPLY,
        "status_choices": Status.choices,
        "priority_choices": [(priority.key, priority.label) for priority in Priority],
        "max_attachment_bytes": settings.MAX_ATTACHMENT_BYTES,
        "reply_options": reply_options(detail.ticket),
        **extra,
    }


def _changed(
    request: WorkspaceRequest, number: int, *, notice: str, reset_composer: bool = False
) -> HttpResponse:
    """The answer to an action that succeeded: the changed parts of the ticket page."""
    agent = _agent(request)
    try:
        detail = ticket_detail(agent, number)
    except NotFound:
        # The change took the ticket out of this agent's sight (another group, say).
        messages.info(request, _("Done. The ticket is no longer in your view."))
        inbox_url = reverse("workspace:home")
        if _partial(request):
            return HttpResponseClientRedirect(inbox_url)
        return redirect(inbox_url)
    if not _partial(request):
        messages.success(request, notice)
        return redirect("workspace:ticket", number=number)
    context = _ticket_context(detail, notice=notice, reset_composer=reset_composer)
    return render(request, "workspace/_ticket_changed.html", context)


def _refused(request: WorkspaceRequest, number: int, error: DomainError) -> HttpResponse:
    """The answer to an action a service refused: the reason, and the draft kept."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    detail = ticket_detail(_agent(request), number)
    if _partial(request):
        # The sidebar goes back to what is stored (a refused choice must not stay
        # selected); the composer is left alone so the draft is not lost.
        context = _ticket_context(detail, error=error.message, error_code=error.code)
        return render(request, "workspace/_ticket_refused.html", context, status=error.status)
    context = _ticket_context(detail, error=error.message, draft=request.POST)
    return render(request, "workspace/ticket.html", context, status=error.status)


@login_required
@require_POST
@not_found_is_404
def ticket_reply(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Send a reply to the customer or add an internal note."""
    agent = _agent(request)
    target = ticket_get_by_number_for(agent, number)
    try:
        composed = forms.parse_composer(request.POST, request.FILES)
        if composed.kind == "note":
            note_add(
                ticket=target, author=agent, text=composed.text, attachments=composed.attachments
            )
            notice = _("Note added.")
        else:
            reply_send(
                ticket=target,
                author=agent,
                text=composed.text,
                attachments=composed.attachments,
                status_after=composed.status_after,
                seen_up_to=composed.seen_up_to,
            )
            notice = _("Reply queued for sending.")
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=notice, reset_composer=True)


@login_required
@require_POST
@not_found_is_404
def ticket_template(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Send one of the channel's approved templates (WhatsApp after 24 hours)."""
    agent = _agent(request)
    target = ticket_get_by_number_for(agent, number)
    try:
        choice = forms.parse_template(request.POST)
        reply_send_template(
            ticket=target,
            author=agent,
            name=choice.name,
            language=choice.language,
            parameters=choice.parameters,
        )
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=_("Template queued for sending."))


@login_required
@require_POST
@not_found_is_404
def ticket_continue_privately(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Move a public thread to private messages: a new private ticket with the customer,
    which the agent is taken to."""
    agent = _agent(request)
    target = ticket_get_by_number_for(agent, number)
    try:
        asked = forms.parse_private_continuation(request.POST)
        message = conversation_continue_privately(
            ticket=target, author=agent, text=asked.text, public_reply=asked.public_reply
        )
    except DomainError as exc:
        return _refused(request, number, exc)
    private_url = reverse("workspace:ticket", kwargs={"number": message.ticket.number})
    messages.success(request, _("The conversation continues here, in private messages."))
    if _partial(request):
        return HttpResponseClientRedirect(private_url)
    return redirect(private_url)


@login_required
@require_POST
@not_found_is_404
def ticket_change(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Change status, priority, group, assignee or tags."""
    agent = _agent(request)
    target = ticket_get_by_number_for(agent, number)
    try:
        changes = forms.parse_ticket_changes(agent, request.POST)
        ticket_update(ticket=target, actor=Actor.for_agent(agent), **changes)
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=_("Saved."))


@login_required
@require_POST
@not_found_is_404
def message_retry(request: WorkspaceRequest, number: int, message_id: int) -> HttpResponse:
    """Try a reply whose delivery failed once more."""
    agent = _agent(request)
    target = ticket_get_by_number_for(agent, number)
    delivery = delivery_get_for(agent, message_id)
    if delivery.message.ticket_id != target.pk:
        raise Http404("The message is not on this ticket.")
    retry_failed(delivery)
    return _changed(request, number, notice=_("Sending again."))


@login_required
@require_GET
@not_found_is_404
def attachment(request: WorkspaceRequest, attachment_id: int) -> FileResponse:
    found = attachment_get_for(_agent(request), attachment_id)
    if not found.is_kept:
        raise Http404(found.error)
    return file_response(found.file, filename=found.filename, content_type=found.content_type)


# --- customers ------------------------------------------------------------------------------


@login_required
@require_GET
@not_found_is_404
def customer(request: WorkspaceRequest, customer_id: int) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        detail = customer_detail(_agent(request), customer_id, cursor=cursor)
    except ValidationFailed:
        # A cursor that does not decode: start from the first page.
        return redirect("workspace:customer", customer_id=customer_id)
    if detail.customer.pk != customer_id:
        # Merged into another customer: the survivor's page is the one to keep.
        return redirect("workspace:customer", customer_id=detail.customer.pk)
    context = {
        "c": detail,
        "page": detail.tickets,
        "next_url": _next_url(request, {}, detail.tickets.next),
        "hide_customer": True,
    }
    if _partial(request) and cursor:
        return render(request, "workspace/_ticket_rows.html", context)
    return render(request, "workspace/customer.html", context)


# --- preferences ----------------------------------------------------------------------------


@login_required
@require_POST
def language(request: WorkspaceRequest) -> HttpResponse:
    """Switch the interface language and remember it on the agent's profile."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("workspace:home")
    response = redirect(next_url)
    if code in dict(settings.LANGUAGES):
        agent_set_language(agent=_agent(request), language=code)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
