"""`eonode serve` and `eonode demo`: run a node's HTTP API with uvicorn."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn

from eonode.cli.common import DataDir, settings_for
from eonode.node import Node, open_catalog
from eonode.settings import Settings

DEMO_PACKAGES = 240
DEMO_SEED = 2026


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
    _first_admin(settings)
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


def _first_admin(settings: Settings) -> None:
    """On a node without an administrator, make one and print its one-time password once."""
    from eonode.accounts.services import AccountServices

    services = AccountServices.open(settings)
    try:
        password = services.users.ensure_first_admin()
    finally:
        services.close()
    if password:
        print(
            f"created the administrator account 'admin' with the one-time password {password}\n"
            "  log in at /account/login and set your own password (it is not shown again)",
            file=sys.stderr,
            flush=True,
        )


def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to bind [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000]")] = None,
    workers: Annotated[int | None, typer.Option(help="API processes [default: 1]")] = None,
    watch_inbox: Annotated[
        bool | None,
        typer.Option("--watch-inbox/--no-watch-inbox", help="Ingest packages delivered to the inbox [default: no]"),
    ] = None,
) -> None:
    """Run a node: the STAC API, downloads and the web page, on the embedded defaults."""
    run_server(settings_for(data_dir, host=host, port=port, workers=workers, inbox_watch=watch_inbox))


def demo(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Demo data folder (one sub-folder per node)")] = Path(
        "eonode-demo"
    ),
    port: Annotated[int, typer.Option(help="Port of the main node; the others take the next ones")] = 8000,
    packages: Annotated[int, typer.Option(help="Packages to generate and ingest on first start")] = DEMO_PACKAGES,
    every: Annotated[float, typer.Option(help="Seconds between new products at the main node (0: none)")] = 5.0,
) -> None:
    """Run a demo network: a main node with ingested synthetic product packages (GF, ZY, CBERS, HY,
    thematic), two sub nodes with different territories and a lower node under the first, all on
    loopback ports. Prints `<name> <url>` for each node once it answers; the main node acquires a
    new product every few seconds and the others receive what their agreements cover."""
    from eonode.demo.network import DemoNetwork
    from eonode.demo.portals import write_demo_portals

    root = data_dir.resolve()
    portals_file = write_demo_portals(root / "portals")
    settings = settings_for(root / "main", title="eonode demo — main node", portals_file=portals_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    node = Node.open(settings)
    try:
        if node.catalog.item_count() == 0:
            _ingest_demo_packages(node, packages)
        from eonode.demo.policies import apply_demo_policies

        apply_demo_policies(node)
    finally:
        node.close()
    _first_admin(settings)
    network = DemoNetwork(root, port, every=every, portals_file=portals_file)

    def on_signal(signum: int, frame: object) -> None:
        network.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        network.start()
        print(f"drop packages into {settings.effective_inbox_dir} to ingest them", file=sys.stderr, flush=True)
        if every > 0:
            threading.Thread(target=network.acquire, name="eonode-demo-acquire", daemon=True).start()
        network.supervise()
    finally:
        network.stop()


def _ingest_demo_packages(node: Node, count: int) -> None:
    """Generate ``count`` packages into a scratch folder inside the data dir and ingest them."""
    import shutil

    from rich.console import Console
    from rich.progress import Progress

    from eonode.demo.packages import generate

    staging = node.settings.data_dir / "demo-packages"
    shutil.rmtree(staging, ignore_errors=True)
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("generating demo packages", total=None)
        paths = generate(staging, count=count, seed=DEMO_SEED)
        progress.update(task, description="ingesting demo packages", total=len(paths), completed=0)
        ingester = node.ingester()
        for path in paths:
            ingester.ingest(path)
            progress.advance(task)
    shutil.rmtree(staging, ignore_errors=True)
