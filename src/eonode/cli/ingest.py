"""`eonode ingest`: catalogue product packages, from paths or by watching an inbox folder."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from eonode.cli.common import DataDir, settings_for
from eonode.errors import IngestError, UnknownProduct
from eonode.ingest.activity import ActivityRecorder
from eonode.ingest.inbox import Failure, Inbox, RoundReport, checksum_files, expected_checksums, is_partial
from eonode.ingest.packages import is_package, product_name
from eonode.ingest.pipeline import IngestResult
from eonode.ingest.readers import reader_for
from eonode.node import Node


def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Packages (.tar.gz, .tgz, .tar, .zip, folders) or folders of packages", show_default=False),
    ] = None,
    data_dir: DataDir = None,
    watch: Annotated[
        Path | None,
        typer.Option("--watch", help="Watch this inbox folder: ingest what is delivered, quarantine what is refused"),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="With --watch: one round, then exit")] = False,
    settle: Annotated[
        float | None, typer.Option(help="With --watch: seconds a package must stay unchanged [default: 10]")
    ] = None,
    quarantine: Annotated[
        bool, typer.Option("--quarantine", help="Move refused PATHS to the quarantine folder with a reason file")
    ] = False,
    quicklooks: Annotated[
        bool | None, typer.Option("--quicklooks/--no-quicklooks", help="Render missing browse/thumbnail images")
    ] = None,
) -> None:
    """Ingest product packages: each becomes a catalogued item with all its assets, or is refused
    with a reason. Exit status 1 when any package was refused."""
    if not paths and watch is None:
        raise typer.BadParameter("give packages to ingest, or --watch DIR")
    if paths and watch is not None:
        raise typer.BadParameter("give either packages or --watch DIR, not both")
    settings = settings_for(data_dir, inbox_settle_seconds=settle, ingest_quicklooks=quicklooks)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    node = Node.open(settings)
    try:
        if watch is not None:
            inbox = node.inbox(watch)
            ok = _run_once(inbox) if once else _watch(inbox, settings.inbox_poll_seconds)
        else:
            ok = _ingest_paths(node, _expand(paths or []), quarantine)
    finally:
        node.close()
    if not ok:
        raise typer.Exit(1)


def _expand(paths: list[Path]) -> list[Path]:
    """Packages named directly, and the packages inside folders that are not packages themselves."""
    out: list[Path] = []
    for path in paths:
        if not path.exists():
            raise typer.BadParameter(f"{path} does not exist")
        if path.is_dir() and not _is_product_folder(path):
            out += sorted(p for p in path.iterdir() if is_package(p) and not is_partial(p.name))
        else:
            out.append(path)
    return out


def _is_product_folder(path: Path) -> bool:
    try:
        reader_for(product_name(path))
    except UnknownProduct:
        return False
    return True


def _ingest_paths(node: Node, packages: list[Path], quarantine: bool) -> bool:
    ingester = node.ingester()
    inbox = node.inbox() if quarantine else None
    failures = 0
    for path in packages:
        try:
            if not is_package(path):
                raise IngestError(f"{path.name}: not a product package (.tar.gz, .tgz, .tar, .zip or a folder)")
            result = ingester.ingest(path, expected_checksums(checksum_files(path)))
        except IngestError as exc:
            failures += 1
            where = inbox.quarantine_in_place(path, exc) if inbox is not None else None
            _echo_failure(Failure(path.name, exc.code, exc.description, where))
            continue
        _echo_result(result)
    typer.echo(f"{len(packages) - failures} ingested, {failures} refused")
    return failures == 0


def _run_once(inbox: Inbox) -> bool:
    if not inbox.try_lock():
        typer.echo(f"another worker is running the inbox {inbox.inbox}; nothing done", err=True)
        return False
    report = inbox.run_once()
    _echo_report(report)
    return not any(f.retry for f in report.failed)


def _watch(inbox: Inbox, poll_seconds: float) -> bool:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    typer.echo(f"watching {inbox.inbox} (quarantine: {inbox.quarantine}); Ctrl-C to stop", err=True)
    inbox.on_round = _echo_report
    inbox.on_heartbeat = ActivityRecorder(inbox, time.time).heartbeat
    inbox.watch(stop, poll_seconds)
    return True


def _echo_report(report: RoundReport) -> None:
    for result in report.ingested:
        _echo_result(result)
    for failure in report.failed:
        _echo_failure(failure)


def _echo_result(result: IngestResult) -> None:
    size = result.package_bytes / 1e6
    typer.echo(f"{result.outcome:9} {result.collection}/{result.item_id} ({size:.1f} MB, {result.seconds:.2f} s)")


def _echo_failure(failure: Failure) -> None:
    if failure.quarantined_as is not None:
        where = f" -> {failure.quarantined_as}"
    elif failure.retry:
        where = " (the node failed; the package stays in the inbox for a retry)"
    else:
        where = ""
    typer.echo(f"refused   {failure.name}: {failure.code}: {failure.reason}{where}", err=True)
