"""The email side of the ticket page: who is copied on the replies (CC and BCC)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from unidesk.channels.email.services import copy_add, copy_remove
from unidesk.core.actor import Actor
from unidesk.core.errors import DomainError
from unidesk.tickets.selectors import ticket_get_by_number_for
from unidesk.workspace.views import WorkspaceRequest, _agent, _changed, _refused, not_found_is_404


@login_required
@require_POST
@not_found_is_404
def copy_add_view(request: WorkspaceRequest, number: int) -> HttpResponse:
    """Copy an address on the replies (``blind`` for a BCC)."""
    agent = _agent(request)
    ticket = ticket_get_by_number_for(agent, number)
    try:
        copy_add(
            ticket=ticket,
            address=request.POST.get("address", "").strip(),
            blind=request.POST.get("role") == "bcc",
            actor=Actor.for_agent(agent),
        )
    except DomainError as exc:
        return _refused(request, number, exc)
    return _changed(request, number, notice=_("Copy added."))


@login_required
@require_POST
@not_found_is_404
def copy_remove_view(request: WorkspaceRequest, number: int, participant_id: int) -> HttpResponse:
    agent = _agent(request)
    ticket = ticket_get_by_number_for(agent, number)
    copy_remove(ticket=ticket, participant_id=participant_id, actor=Actor.for_agent(agent))
    return _changed(request, number, notice=_("Copy removed."))
