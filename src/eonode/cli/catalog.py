"""`eonode catalog load`: bulk-load STAC Collections and Items from JSON / ndjson files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from eonode.catalog.loading import load_files
from eonode.cli.common import DataDir, settings_for
from eonode.node import open_catalog

app = typer.Typer(help="Catalogue commands.", no_args_is_help=True)


@app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="STAC JSON or ndjson files", exists=True, dir_okay=False)],
    data_dir: DataDir = None,
    batch_size: Annotated[int, typer.Option(help="Items per transaction")] = 50_000,
    workers: Annotated[int | None, typer.Option(help="Parsing processes [default: one per core, at most 4]")] = None,
) -> None:
    """Bulk-load Collections and Items (collections first); safe while the node is serving."""
    settings = settings_for(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalog = open_catalog(settings, bulk=True)
    try:
        columns = (TextColumn("{task.description}"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as progress:  # stdout carries the result
            task = progress.add_task("loading", total=sum(p.stat().st_size for p in files))
            result = load_files(
                catalog, files, batch_size=batch_size, workers=workers, progress=lambda n: progress.advance(task, n)
            )
    finally:
        catalog.close()
    report = result.report
    typer.echo(
        f"collections: {result.collections}; items created: {report.created}, updated: {report.updated}, "
        f"unchanged: {report.unchanged}, rejected: {len(report.rejected)}"
    )
    for where, why in report.rejected[:20]:
        typer.echo(f"  rejected {where}: {why}", err=True)
    if len(report.rejected) > 20:
        typer.echo(f"  … and {len(report.rejected) - 20} more", err=True)
    if report.rejected:
        raise typer.Exit(1)
