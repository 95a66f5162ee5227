"""An httpx transport for bulk bytes: urllib3 underneath, bodies read in pieces of up to 1 MiB.

httpx's own transport (httpcore + h11) hands a body over in pieces of at most 64 KiB, each
through several layers of Python; for a multi-gigabyte asset that per-piece cost, not the
network, bounds a child node's copy (about 1 GB/s and a whole core on loopback). urllib3 reads
straight from the socket's buffered file: one ``read1`` returns what the socket holds, up to
1 MiB, for a few microseconds of Python. The transfer engine keeps httpx's API — requests,
``Response``, timeouts and exceptions — so nothing above this module changes; only
``Client(transport=BulkTransport(...))``.

Behaviour kept from httpx: the request's connect/read timeouts, TLS verification with httpx's
certificates, no redirects followed here (the client follows them), no retries (the transfer
engine retries with its own backoff), bodies passed through undecoded (the engine asks for
``identity`` and refuses anything else). urllib3 errors become the matching httpx exceptions,
also while the body streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
    URLSchemeUnknown,
)

__all__ = ["PIECE", "BulkTransport", "bulk_client"]

PIECE = 1024 * 1024  # the most one read hands over


class BulkTransport(httpx.BaseTransport):
    """Plain HTTP/1.1 over a urllib3 pool; ``connections`` per host are kept alive."""

    def __init__(self, *, connections: int = 4) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=8, maxsize=connections, block=False, retries=False, ssl_context=httpx.create_ssl_context()
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        timeout = urllib3.Timeout(connect=timeouts.get("connect"), read=timeouts.get("read"))
        with _mapped(request):
            answer = self._pool.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=dict(request.headers),
                redirect=False,
                retries=False,
                timeout=timeout,
                preload_content=False,
                decode_content=False,
            )
        return httpx.Response(
            status_code=answer.status,
            headers=list(answer.headers.items()),
            stream=_Body(answer, request),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        self._pool.clear()


def bulk_client(*, headers: dict[str, str] | None = None, timeout: float = 30.0, connections: int = 4) -> httpx.Client:
    """A client for fetching asset bytes: redirects followed, no proxy from the environment."""
    return httpx.Client(
        headers=headers,
        timeout=timeout,
        follow_redirects=True,
        trust_env=False,
        transport=BulkTransport(connections=connections),
    )


class _Body(httpx.SyncByteStream):
    def __init__(self, answer: urllib3.BaseHTTPResponse, request: httpx.Request) -> None:
        self._answer, self._request = answer, request

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(self._request):
            while data := self._answer.read1(PIECE):
                yield data

    def close(self) -> None:
        if self._answer.length_remaining:  # left mid-body: the connection cannot be reused
            self._answer.close()
        self._answer.release_conn()


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """urllib3's exceptions as the httpx ones the caller handles."""
    try:
        yield
    except MaxRetryError as exc:  # not raised with retries=False, but urllib3 may still wrap
        raise _translate(exc.reason or exc, request) from exc
    except (HTTPError, OSError) as exc:
        raise _translate(exc, request) from exc


def _translate(exc: BaseException, request: httpx.Request) -> Exception:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, URLSchemeUnknown):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, LocationParseError):
        return httpx.InvalidURL(message)
    if isinstance(exc, ProxyError):
        return httpx.ProxyError(message, request=request)
    if isinstance(exc, NewConnectionError | SSLError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, ConnectTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, ProtocolError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.ReadError(message, request=request)
