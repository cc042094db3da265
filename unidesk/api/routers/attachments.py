"""Attachment downloads, with the same permission check as the ticket."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from ninja import Router

from unidesk.api.auth import agent_of
from unidesk.api.schemas import ErrorOut
from unidesk.core.errors import NotFound
from unidesk.core.http import file_response
from unidesk.tickets.selectors import attachment_get_for

router = Router(tags=["attachments"])


@router.get(
    "/{int:attachment_id}",
    summary="Download an attachment",
    response={200: None, 401: ErrorOut, 404: ErrorOut},
)
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = attachment_get_for(agent_of(request), attachment_id)
    if not attachment.is_kept:
        raise NotFound(f"The file was not kept: {attachment.error}")
    return file_response(
        attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
