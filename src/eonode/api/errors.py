"""One mapping from errors to responses: STAC's ``{"code": ..., "description": ...}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from eonode.api.responses import JsonResponse
from eonode.errors import EonodeError

log = logging.getLogger("eonode.api")

_HTTP_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "Unprocessable",
    429: "TooManyRequests",
}


def error_response(status: int, code: str, description: str, headers: dict[str, str] | None = None) -> Response:
    return JsonResponse({"code": code, "description": description}, status_code=status, headers=headers)


async def _eonode_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EonodeError)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.description)
    return error_response(exc.status, exc.code, exc.description, exc.headers() or None)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
    return error_response(400, "BadRequest", f"invalid parameter {where}: {first.get('msg', 'invalid')}")


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "Error")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "InternalError", "internal error; the node's log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(EonodeError, _eonode_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
