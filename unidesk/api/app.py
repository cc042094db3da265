"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny

from unidesk import __version__
from unidesk.api.auth import AgentToken
from unidesk.api.errors import error_response, pydantic_fields, reject_lone_surrogates
from unidesk.api.routers import (
    attachments,
    conversations,
    copies,
    crosschannel,
    customers,
    directory,
    inbound,
    reports,
    tickets,
)
from unidesk.channels.base import InvalidPayload, VerificationFailed
from unidesk.core.errors import DomainError
from unidesk.core.inputs import without_nul

logger = logging.getLogger("unidesk.api")


class NulFreeParser(Parser):
    """JSON bodies and query strings without NUL characters (see ``core.inputs``); a body
    with a lone surrogate is refused, naming the field."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        reject_lone_surrogates(data)
        return without_nul(data)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        return without_nul(super().parse_querydict(data, list_fields, request))


api = NinjaAPI(
    title="unidesk API",
    version=__version__,
    description="Tickets, customers and messages of a unidesk helpdesk. "
    "Authenticate with `Authorization: Bearer <agent token>` (`unidesk token create`).",
    auth=AgentToken(),
    parser=NulFreeParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

api.add_router("/tickets", tickets.router)
api.add_router("/tickets", conversations.router)
api.add_router("/tickets", copies.router)
api.add_router("/customers", customers.router)
api.add_router("/attachments", attachments.router)
api.add_router("/channels", inbound.router)
api.add_router("/reports", reports.router)
api.add_router("/", directory.router)
api.add_router("/", crosschannel.router)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = pydantic_fields(list(exc.errors))
    names = ", ".join(sorted(fields)) or "the request"
    return error_response(422, "validation_error", f"Invalid input: {names}.", fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        401, "unauthenticated", "Send a valid token as 'Authorization: Bearer <token>'."
    )


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(InvalidPayload)
def _invalid_payload(request: HttpRequest, exc: InvalidPayload) -> HttpResponse:
    return error_response(422, "validation_error", str(exc), exc.fields)


@api.exception_handler(VerificationFailed)
def _verification_failed(request: HttpRequest, exc: VerificationFailed) -> HttpResponse:
    code = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(exc.status, "denied")
    return error_response(exc.status, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        413, "payload_too_large", f"The request body is larger than the limit of {limit} bytes."
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ValidationError):
        # Raised by our parser, which ninja wraps as "Cannot parse request body".
        return _validation_error(request, exc.__cause__)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # ninja's "Cannot parse request body": the JSON itself is broken.
        return error_response(
            422, "validation_error", "The body is not valid JSON.", {"body": "invalid_json"}
        )
    return error_response(exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected API error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side.")
