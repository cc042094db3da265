"""Talking to a platform over HTTP from an adapter.

Network trouble becomes ``TransientError``, files over the size limit ``PermanentError``,
and no message ever includes a URL: Telegram puts the bot token in its URLs, and adapter
errors are shown to agents and written to logs.
"""

from __future__ import annotations

import email.utils
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from unidesk import __version__
from unidesk.channels.base import PermanentError, TransientError


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (either form), or None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else filesizeformat(size)


_local = threading.local()


def _client() -> httpx.Client:
    """One client per thread: connections (and the TLS setup, which costs milliseconds)
    are reused across requests instead of being built for every call."""
    client: httpx.Client | None = getattr(_local, "client", None)
    if client is None:
        client = httpx.Client(limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
        _local.client = client
    return client


def too_large(limit: int, size: int = 0) -> str:
    if size:
        return f"the file is {megabytes(size)}, over the {megabytes(limit)} limit"
    return f"the file is larger than the {megabytes(limit)} limit"


class PlatformHTTP:
    """One platform's HTTP endpoint. ``platform`` names it in messages ("Telegram")."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout or float(settings.UNIDESK["DELIVERY_TIMEOUT_SECONDS"])
        self.headers = {"User-Agent": f"unidesk/{__version__}", **(headers or {})}

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", self.timeout)
        try:
            return _client().request(
                method, self.url(path), headers=headers, timeout=timeout, **kwargs
            )
        except httpx.TimeoutException:
            raise TransientError(f"{self.platform} did not answer within {timeout:g} s.") from None
        except httpx.HTTPError as exc:
            raise TransientError(
                f"Could not reach {self.platform}: {type(exc).__name__}."
            ) from None

    def download(
        self, path: str, *, limit: int, headers: dict[str, str] | None = None
    ) -> tuple[bytes, str]:
        """Fetch a file, stopping as soon as it exceeds ``limit`` bytes. Returns the bytes
        and the declared content type."""
        try:
            with _client().stream(
                "GET",
                self.url(path),
                headers={**self.headers, **(headers or {})},
                timeout=self.timeout,
                follow_redirects=True,
            ) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise TransientError(
                        f"{self.platform} answered {response.status_code} to a file download.",
                        retry_after=retry_after(response),
                    )
                if response.status_code >= 400:
                    raise PermanentError(
                        f"{self.platform} no longer has the file ({response.status_code})."
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise PermanentError(too_large(limit))
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise PermanentError(too_large(limit))
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "")
        except httpx.TimeoutException:
            raise TransientError(
                f"{self.platform} did not send the file within {self.timeout:g} s."
            ) from None
        except httpx.HTTPError as exc:
            raise TransientError(
                f"Could not download the file from {self.platform}: {type(exc).__name__}."
            ) from None
        return b"".join(chunks), content_type.split(";")[0].strip()


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def attachment_limit(platform_limit: int | None = None) -> int:
    limit = int(settings.MAX_ATTACHMENT_BYTES)
    return min(limit, platform_limit) if platform_limit else limit
