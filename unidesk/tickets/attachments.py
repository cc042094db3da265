"""Storing attachment files safely."""

from __future__ import annotations

import contextvars
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from unidesk.core import clock
from unidesk.tickets.models import Attachment, Message

_MAX_NAME = 150
_pending_files: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "pending_files", default=None
)


def safe_filename(raw: str, *, fallback: str = "attachment") -> str:
    """A file name that is only a name: no directories, no control characters, no leading
    dots, no reserved characters, and not too long (the extension is kept)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    name = re.sub(r'[<>:"|?*\x00]', "_", name).strip().lstrip(".").strip()
    if not name:
        return fallback
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:_MAX_NAME]
    return name


# type "/" subtype, each an RFC 6838 restricted name: no spaces, quotes or line breaks.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def guess_content_type(filename: str, declared: str = "") -> str:
    """The declared media type when it is one (parameters dropped), else a guess from the
    file name."""
    declared = (declared or "").split(";")[0].strip().lower()
    if _MEDIA_TYPE.fullmatch(declared):
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


@contextmanager
def files_removed_on_error() -> Iterator[None]:
    """Delete files stored inside the block if the block fails, so a rolled-back
    transaction leaves no orphan files behind."""
    stored: list[str] = []
    outer = _pending_files.get(None)
    token = _pending_files.set(stored)
    try:
        yield
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    else:
        # Nested blocks (one message of a batch) hand their files to the enclosing block,
        # whose transaction may still roll back.
        if outer is not None:
            outer.extend(stored)
    finally:
        _pending_files.reset(token)


def too_large_reason(size: int) -> str:
    return _("%(size)s is over the %(limit)s limit for attachments") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(settings.MAX_ATTACHMENT_BYTES),
    }


def attachment_store(
    *,
    message: Message,
    filename: str,
    data: bytes,
    content_type: str = "",
    content_id: str = "",
    inline: bool = False,
) -> Attachment:
    """Store one file for ``message``. A file over the size limit is not kept; its name and
    the reason are recorded instead so the agent sees what is missing."""
    name = safe_filename(filename)
    ctype = guess_content_type(name, content_type)
    attachment = Attachment(
        message=message,
        filename=name,
        size=len(data),
        content_type=ctype,
        content_id=content_id.strip("<> ")[:255],
        is_inline=inline,
        created_at=clock.now(),
    )
    if len(data) > settings.MAX_ATTACHMENT_BYTES:
        attachment.error = too_large_reason(len(data))
    else:
        attachment.sha256 = hashlib.sha256(data).hexdigest()
        attachment.file.save(name, ContentFile(data), save=False)
        pending = _pending_files.get()
        if pending is not None and attachment.file.name:
            pending.append(attachment.file.name)
    attachment.save()
    return attachment


def attachment_record_missing(
    *, message: Message, filename: str, reason: str, size: int = 0, content_type: str = ""
) -> Attachment:
    name = safe_filename(filename)
    return Attachment.objects.create(
        message=message,
        filename=name,
        size=size,
        content_type=guess_content_type(name, content_type),
        error=reason[:300],
        created_at=clock.now(),
    )
