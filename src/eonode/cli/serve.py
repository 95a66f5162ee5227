"""`eonode serve` and `eonode demo`: run a node's HTTP API with uvicorn."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn

from eonode.cli.common import DataDir, settings_for
from eonode.node import Node, open_catalog
from eonode.settings import Settings

DEMO_ITEMS = 1500


def _env_for_workers(settings: Settings) -> dict[str, str]:
    """The environment from which worker processes rebuild exactly these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"EONODE_{name.upper()}"] = str(value.resolve() if isinstance(value, Path) else value)
    return env


def _announce_when_ready(name: str, url: str) -> None:
    def wait() -> None:
        for _ in range(600):
            try:
                if httpx.get(url + "/conformance", timeout=2, trust_env=False).status_code == 200:
                    print(f"{name} {url}", flush=True)  # flushed: scripts wait for this line
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)

    threading.Thread(target=wait, daemon=True).start()


def run_server(settings: Settings, announce: str | None = None) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    open_catalog(settings).close()  # migrate once, before any worker starts
    if announce:
        _announce_when_ready(announce, f"http://{settings.host}:{settings.port}")
    common = dict(
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    if settings.workers > 1:
        # Hand over to uvicorn's own process manager in a fresh interpreter: the supervising process
        # then holds only uvicorn, and every worker builds its node from the environment.
        env = {**os.environ, **_env_for_workers(settings), "MALLOC_ARENA_MAX": "2"}
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "eonode.api.asgi:app_from_env",
            "--factory",
            "--workers",
            str(settings.workers),
            "--host",
            settings.host,
            "--port",
            str(settings.port),
            "--log-level",
            settings.log_level,
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ]
        os.execvpe(sys.executable, args, env)
    from eonode.api.app import create_app

    node = Node.open(settings)
    uvicorn.run(create_app(node, close_node=True), **common)  # type: ignore[arg-type]


def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to bind [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000]")] = None,
    workers: Annotated[int | None, typer.Option(help="API processes [default: 1]")] = None,
) -> None:
    """Run a node: the STAC API, downloads and the web page, on the embedded defaults."""
    run_server(settings_for(data_dir, host=host, port=port, workers=workers))


def demo(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Demo data folder")] = Path("eonode-demo"),
    port: Annotated[int, typer.Option(help="Port of the main node")] = 8000,
    items: Annotated[int, typer.Option(help="Synthetic scenes to create on first start")] = DEMO_ITEMS,
) -> None:
    """Run a demo node with synthetic scenes; prints `main <url>` once it answers."""
    from rich.console import Console
    from rich.progress import Progress

    from eonode.demo.synthetic import collections, scenes, with_assets

    settings = settings_for(data_dir, port=port, title="eonode demo — main node")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    node = Node.open(settings)
    try:
        if node.catalog.item_count() == 0:
            for doc in collections():
                node.catalog.put_collection(doc)
            with Progress(transient=True, console=Console(stderr=True)) as progress:
                task = progress.add_task("creating demo scenes", total=items)

                def docs() -> Iterator[dict[str, Any]]:
                    for k, doc in enumerate(scenes(items)):
                        progress.advance(task)
                        yield with_assets(doc, node.blobs, 20260101 + k)

                node.catalog.upsert_items(docs(), batch_size=500)
    finally:
        node.close()
    run_server(settings, announce="main")
