"""Shared bits of the CLI commands."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.management.base import CommandError

from unidesk.core.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])


def domain_errors_as_command_errors(func: F) -> F:
    """Show refusals from services as a one-line error and a non-zero exit, not a trace."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    return wrapper  # type: ignore[return-value]


def parse_assignments(pairs: list[str] | None) -> dict[str, str]:
    """`--set key=value` pairs as a dict; a missing `=` is an error, not a guess."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set expects key=value, got {pair!r}")
        result[key.strip()] = value
    return result
