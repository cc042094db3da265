"""HTTP helpers shared by the workspace, the portal and the API."""

from __future__ import annotations

from django.http import FileResponse

# Types a browser shows without running anything. Everything else (HTML, SVG, PDF with
# scripts…) is downloaded, so a customer's file can never act inside our origin.
_INLINE_SAFE = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}


def file_response(field_file: object, *, filename: str, content_type: str) -> FileResponse:
    inline = content_type in _INLINE_SAFE
    response = FileResponse(
        field_file.open("rb"),  # type: ignore[attr-defined]
        as_attachment=not inline,
        filename=filename,
        content_type=content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
