"""A real HTTP server on loopback serving files with Range support, that misbehaves on request.

It stands in for a parent node's asset endpoint: uvicorn (in a thread) running a Starlette app.
Each hosted file can be told to drop the connection after some bytes, answer 503 with
``Retry-After``, ignore ``Range``, send a wrong ``Content-Range``, serve corrupted bytes, be slow,
or answer one fixed status. Every request and every body byte sent is counted.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
CHUNK = 16 * 1024


@dataclass
class Misbehaviour:
    drop_after: int | None = None  # cut the connection after this many body bytes of a response …
    drops: int = 1  # … for this many responses, then behave
    unavailable: int = 0  # answer 503 this many times first
    retry_after: str | None = None  # … with this Retry-After
    status: int | None = None  # always answer this status
    ignore_range: bool = False  # answer 200 with the whole file to a Range request
    wrong_content_range: bool = False  # 206 whose Content-Range is off by one byte
    corrupt: bool = False  # flip one byte in the middle
    rate: float | None = None  # bytes/s per response
    stall: float = 0.0  # go quiet this long after the first chunk of the next response


@dataclass
class Hosted:
    data: bytes
    misbehaviour: Misbehaviour
    ranges: list[str | None] = field(default_factory=list)  # the Range header of every request
    statuses: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # body bytes handed to the connection, per request

    @property
    def served(self) -> int:
        return sum(self.sent)


class RangeServer:
    def __init__(self) -> None:
        self.files: dict[str, Hosted] = {}
        self.lock = threading.Lock()
        self.port = 0
        self.app = Starlette(routes=[Route("/files/{name}", self.serve)])

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/files/{name}"

    def host(self, name: str, data: bytes, **misbehaviour: Any) -> Hosted:
        hosted = Hosted(data, Misbehaviour(**misbehaviour))
        with self.lock:
            self.files[name] = hosted
        return hosted

    async def serve(self, request: Request) -> Response:
        hosted = self.files.get(request.path_params["name"])
        asked = request.headers.get("range")
        if hosted is None:
            return PlainTextResponse("not found", 404)
        with self.lock:
            hosted.ranges.append(asked)
            hosted.sent.append(0)
            index = len(hosted.sent) - 1
        response = self._respond(hosted, asked, index)
        hosted.statuses.append(response.status_code)
        return response

    def _respond(self, hosted: Hosted, asked: str | None, index: int) -> Response:
        bad = hosted.misbehaviour
        if bad.status is not None:
            return PlainTextResponse(f"status {bad.status}", bad.status)
        if bad.unavailable > 0:
            bad.unavailable -= 1
            headers = {"Retry-After": bad.retry_after} if bad.retry_after is not None else {}
            return PlainTextResponse("busy", 503, headers=headers)
        size = len(hosted.data)
        span = requested_span(asked, size)
        if span is None or bad.ignore_range:
            return self._body(hosted, index, 0, size, 200, {})
        start, end = span
        if start >= size or start >= end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        shown = start + 1 if bad.wrong_content_range else start
        return self._body(hosted, index, start, end, 206, {"Content-Range": f"bytes {shown}-{end - 1}/{size}"})

    def _body(self, hosted: Hosted, index: int, start: int, end: int, status: int, headers: dict[str, str]) -> Response:
        bad = hosted.misbehaviour
        drop_at: int | None = None
        if bad.drop_after is not None and bad.drops > 0:
            bad.drops -= 1
            drop_at = start + bad.drop_after
        stall, bad.stall = bad.stall, 0.0
        data = hosted.data
        if bad.corrupt:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

        async def chunks() -> AsyncIterator[bytes]:
            pos, quiet = start, stall
            while pos < end:
                stop = min(end, pos + CHUNK, drop_at if drop_at is not None and drop_at > pos else end)
                piece = data[pos:stop]
                if bad.rate:
                    await asyncio.sleep(len(piece) / bad.rate)
                with self.lock:
                    hosted.sent[index] += len(piece)
                yield piece
                pos = stop
                if quiet:
                    await asyncio.sleep(quiet)
                    quiet = 0.0
                if drop_at is not None and pos >= drop_at:
                    raise ConnectionAbortedError("rangeserver drops the connection on purpose")

        headers = {**headers, "Content-Length": str(end - start), "Accept-Ranges": "bytes"}
        return StreamingResponse(chunks(), status_code=status, headers=headers, media_type="application/octet-stream")


def requested_span(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) asked by ``Range: bytes=a-b`` or ``bytes=a-``; None without a usable header."""
    match = _RANGE.match(header or "")
    if not match:
        return None
    start = int(match.group(1))
    return start, min(int(match.group(2)) + 1, size) if match.group(2) else size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(server: RangeServer | None = None) -> Iterator[RangeServer]:
    """Serve on a free loopback port in a thread for the duration of the block."""
    server = server or RangeServer()
    server.port = free_port()
    config = uvicorn.Config(
        server.app, host="127.0.0.1", port=server.port, log_level="critical", lifespan="off", ws="none"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="rangeserver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the range server did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        uv.should_exit = True
        thread.join(10)
