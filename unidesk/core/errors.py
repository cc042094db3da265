"""Domain errors. Edges (API, views, CLI) map them to their own shape; services raise them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can understand. ``code`` is stable; ``message`` is for people."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
