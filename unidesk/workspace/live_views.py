"""What the live workspace fetches when a push says something changed: the parts of a
page that change, rendered by the same permission-checked selectors as the page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from unidesk.workspace import forms
from unidesk.workspace.selectors import inbox_views, ticket_detail
from unidesk.workspace.views import (
    WorkspaceRequest,
    _agent,
    _list_response,
    _ticket_context,
    not_found_is_404,
)


@login_required
@require_GET
@not_found_is_404
def ticket_live(request: WorkspaceRequest, number: int) -> HttpResponse:
    """The ticket's header, timeline and properties (never the composer: the agent may
    be writing in it)."""
    detail = ticket_detail(_agent(request), number)
    return render(request, "workspace/live/_ticket_live.html", _ticket_context(detail))


@login_required
@require_GET
def inbox_live(request: WorkspaceRequest) -> HttpResponse:
    """The inbox's view counts and first page of the list, for the same query as the page."""
    agent = _agent(request)
    query = forms.parse_inbox_query(agent, request.GET)
    return _list_response(
        request, query, "workspace/live/_inbox_live.html", {"views": inbox_views(agent)}
    )
