"""One customer across channels in the workspace: merging two customers (with a preview of
what moves), merge suggestions, and links between tickets (related, duplicate).

Like the ticket views, each parses the input, calls one selector or service and renders;
actions on a ticket answer HTMX with the changed parts of the page and a plain form post
with a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from unidesk.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from unidesk.crosschannel.models import MergeSuggestion
from unidesk.crosschannel.selectors import (
    may_merge_customers,
    merge_candidates,
    merge_pair_for,
    merge_preview,
    merge_suggestion_get_for,
)
from unidesk.crosschannel.services import (
    customers_merge,
    merge_suggestion_dismiss,
    ticket_close_as_duplicate,
    ticket_link,
    ticket_unlink,
)
from unidesk.tickets.selectors import customer_get_for, ticket_get_by_number_for
from unidesk.workspace import customer_forms
from unidesk.workspace.views import (
    WorkspaceRequest,
    _agent,
    _changed,
    _partial,
    _refused,
    not_found_is_404,
)


def _next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to: the ``next`` the page was opened with, if it is ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _forbidden(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "workspace/forbidden.html", {"error": error.message}, status=403)


# --- merging customers -----------------------------------------------------------------------


@login_required
@require_GET
@not_found_is_404
def merge_search(request: WorkspaceRequest, customer_id: int) -> HttpResponse:
    """Find the customer to merge this one with, by name, address or phone number."""
    agent = _agent(request)
    if not may_merge_customers(agent):
        return _forbidden(request, _merge_refused())
    customer = customer_get_for(agent, customer_id)
    if customer.pk != customer_id:
        return redirect("workspace:customer-merge-search", customer_id=customer.pk)
    q = (request.GET.get("q") or "").strip()[:200]
    context = {
        "customer": customer,
        "q": q,
        "candidates": merge_candidates(agent, customer, q),
        "next": _next(request, reverse("workspace:customer", args=[customer.pk])),
    }
    if _partial(request) and request.htmx.target == "merge-candidates":
        return render(request, "workspace/_merge_candidates.html", context)
    return render(request, "workspace/customer_merge_search.html", context)


def _merge_refused() -> PermissionDenied:
    return PermissionDenied(_("Only agents, supervisors and administrators merge customers."))


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def merge(request: WorkspaceRequest, customer_id: int, other_id: int) -> HttpResponse:
    """GET: what merging ``customer_id`` into ``other_id`` would move. POST: merge."""
    agent = _agent(request)
    if not may_merge_customers(agent):
        return _forbidden(request, _merge_refused())
    fallback = reverse("workspace:customer", args=[other_id])
    context: dict[str, Any] = {"next": _next(request, fallback)}
    try:
        if request.method == "POST":
            source, target = merge_pair_for(agent, customer_id, other_id)
            customers_merge(source=source, target=target, agent=agent)
            messages.success(
                request,
                _("Merged: everything of %(source)s now belongs to %(target)s.")
                % {"source": source.display_name, "target": target.display_name},
            )
            return redirect(_next(request, reverse("workspace:customer", args=[target.pk])))
        context["preview"] = merge_preview(agent, customer_id, other_id)
        context["suggestion"] = _suggestion(request, {customer_id, other_id})
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except DomainError as exc:
        if exc.status == 404:
            raise
        context["error"] = exc.message
        context["customer"] = customer_get_for(agent, customer_id)
        return render(request, "workspace/customer_merge.html", context, status=exc.status)
    return render(request, "workspace/customer_merge.html", context)


def _suggestion(request: WorkspaceRequest, pair: set[int]) -> MergeSuggestion | None:
    """The suggestion the preview was opened from, to say why the two may be one."""
    try:
        suggestion = merge_suggestion_get_for(_agent(request), int(request.GET["suggestion"]))
    except (KeyError, ValueError, NotFound):
        return None
    if {suggestion.customer_id, suggestion.candidate_id} != pair:
        return None
    return suggestion


@login_required
@require_POST
@not_found_is_404
def suggestion_dismiss(request: WorkspaceRequest, suggestion_id: int) -> HttpResponse:
    """The agent says the two customers are different people."""
    agent = _agent(request)
    suggestion = merge_suggestion_get_for(agent, suggestion_id)
    try:
        merge_suggestion_dismiss(suggestion=suggestion, agent=agent)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except DomainError as exc:
        if _partial(request):
            return render(request, "workspace/_notice.html", {"error": exc.message, "oob": True},
                          status=exc.status)  # fmt: skip
        messages.error(request, exc.message)
        return redirect(_next(request, reverse("workspace:home")))
    if _partial(request):
        # The suggestion's row is swapped for this: it is gone.
        return HttpResponse("")
    messages.success(request, _("Suggestion dismissed."))
    return redirect(_next(request, reverse("workspace:customer", args=[suggestion.customer_id])))


# --- links between tickets -------------------------------------------------------------------


def _no_such_ticket(field: str) -> ValidationFailed:
    # The same answer for a number that does not exist and for a ticket the agent may not
    # see.
    return ValidationFailed(
        _("There is no ticket with that number that you can open."), fields={field: "not_found"}
    )


@login_required
@require_POST
@not_found_is_404
def link(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Link this ticket to another one as related."""
    agent = _agent(request)
    ticket = ticket_get_by_number_for(agent, number)
    try:
        other_number = customer_forms.parse_ticket_number(request.POST.get("other"))
        other = ticket_get_by_number_for(agent, other_number)
        ticket_link(ticket=ticket, other=other, agent=agent)
    except NotFound:
        return _refused(request, number, _no_such_ticket("other"))
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=_("Tickets linked."))


@login_required
@require_POST
@not_found_is_404
def unlink(request: WorkspaceRequest, number: int, other_number: int) -> HttpResponse:
    agent = _agent(request)
    ticket = ticket_get_by_number_for(agent, number)
    other = ticket_get_by_number_for(agent, other_number)
    try:
        ticket_unlink(ticket=ticket, other=other, agent=agent)
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=_("Link removed."))


@login_required
@require_POST
@not_found_is_404
def close_as_duplicate(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Close this ticket as a duplicate of another ticket of the same customer, telling
    the customer (if asked) where the conversation continues."""
    agent = _agent(request)
    ticket = ticket_get_by_number_for(agent, number)
    try:
        choice = customer_forms.parse_duplicate(request.POST)
        original = ticket_get_by_number_for(agent, choice.original)
        closed = ticket_close_as_duplicate(
            ticket=ticket, original=original, agent=agent, notify=choice.notify
        )
    except NotFound:
        return _refused(request, number, _no_such_ticket("original"))
    except DomainError as exc:
        return _refused(request, number, exc)
    if choice.notify and closed.notice is None:
        notice = _(
            "Closed as a duplicate of %(ref)s. The customer could not be told: this "
            "channel does not take a message now."
        ) % {"ref": closed.original.reference}
    elif closed.notice is not None:
        notice = _(
            "Closed as a duplicate of %(ref)s; the customer is told where the "
            "conversation continues."
        ) % {"ref": closed.original.reference}
    else:
        notice = _("Closed as a duplicate of %(ref)s.") % {"ref": closed.original.reference}
    return _changed(request, number, notice=notice)
