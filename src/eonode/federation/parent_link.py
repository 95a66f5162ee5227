"""Where a child node keeps its link to its parent: ``<data>/federation/parent.json`` (written by
``eonode node join``, readable by the node only), unless the settings name the parent.

Only one process of a node follows the parent: the one holding ``federation/.lock`` (another
takes over within a few seconds if it exits).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from eonode.settings import Settings

if TYPE_CHECKING:
    from eonode.federation.follower import Follower
    from eonode.node import Node

log = logging.getLogger("eonode.federation")


def link_file(settings: Settings) -> Path:
    return settings.data_dir / "federation" / "parent.json"


def save_link(settings: Settings, parent: str, key: str, **extra: Any) -> Path:
    path = link_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("parent.json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps({"parent": parent.rstrip("/"), "key": key, **extra}, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)
    return path


def request_join(settings: Settings, parent: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ask ``parent`` to take this node in with a credential generated here; keeps the link in
    the data folder and returns the parent's answer (the request's id and status)."""
    import httpx

    from eonode.accounts.tokens import new_api_key
    from eonode.errors import InvalidParameter

    key = new_api_key()
    reply = httpx.post(
        f"{parent.rstrip('/')}/federation/join", json={**body, "key": key.secret}, timeout=30, trust_env=False
    )
    if reply.status_code != 202:
        raise InvalidParameter(f"the parent refused the request ({reply.status_code}): {reply.text[:300]}")
    answer: dict[str, Any] = reply.json()
    save_link(settings, parent, key.secret, name=body.get("name"), request_id=answer["id"])
    return answer


def parent_of(settings: Settings) -> tuple[str, str] | None:
    """The parent's URL and this node's credential there, or None for a main node."""
    if settings.parent_url and settings.parent_key:
        return settings.parent_url.rstrip("/"), settings.parent_key.get_secret_value()
    try:
        saved = orjson.loads(link_file(settings).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return (str(saved["parent"]), str(saved["key"])) if saved.get("parent") and saved.get("key") else None


class FollowerGuard:
    """Starts a follower in whichever serving process gets the lock first; :meth:`stop` returns
    as soon as the follower has stopped (it never waits for the lock's next try)."""

    def __init__(self, node: Node, parent: str, key: str) -> None:
        self.node, self.parent, self.key = node, parent, key
        self.follower: Follower | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # stop() and the start of a follower do not cross
        self._fd: int | None = None
        self._thread = threading.Thread(target=self._run, name="eonode-follow-lock", daemon=True)

    def start(self) -> FollowerGuard:
        self._thread.start()
        return self

    def _run(self) -> None:
        from eonode.federation.follower import Follower

        folder = self.node.settings.data_dir / "federation"
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        while not self._stop.is_set():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._stop.wait(3.0)
                continue
            with self._lock:
                if self._stop.is_set():
                    break
                self._fd = fd
                log.info("following the parent node %s", self.parent)
                self.follower = Follower(self.node, self.parent, self.key).start()
            return
        os.close(fd)

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
        if self.follower is not None:
            self.follower.stop()
        if self._fd is not None:
            os.close(self._fd)  # releases the lock: another serving process takes over
