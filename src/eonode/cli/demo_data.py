"""`eonode demo-data`: write deterministic synthetic product packages into a folder (nothing is downloaded).

The packages look like real CRESDA / NSOAS / INPE deliveries (see ``eonode.demo.packages``), so an
inbox fed with them exercises the whole ingest pipeline; the same seed always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eonode.demo.packages import DEFAULT_SEED, FAMILIES, FORMATS, generate


def _families(values: list[str] | None) -> list[str] | None:
    """Repeated ``--families`` options and comma-separated lists both work."""
    if not values:
        return None
    chosen = [v.strip() for value in values for v in value.split(",") if v.strip()]
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown:
        raise typer.BadParameter(f"unknown families {', '.join(unknown)}; choose from {', '.join(FAMILIES)}")
    return chosen


def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder that receives the packages (created if missing)")],
    count: Annotated[int, typer.Option(help="Number of packages", min=1)] = 30,
    seed: Annotated[int, typer.Option(help="Same seed, same packages (byte for byte)")] = DEFAULT_SEED,
    families: Annotated[
        list[str] | None,
        typer.Option(
            "--families", "--family", help=f"Only these families (repeat or comma-separate): {', '.join(FAMILIES)}"
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--fmt", help=f"Package format: {', '.join(FORMATS)}")] = "tar.gz",
    quicklooks: Annotated[
        bool | None,
        typer.Option(
            "--quicklooks/--no-quicklooks",
            help="Browse and thumbnail images in every package / in none (ingest renders them) "
            "[default: left out of about one in four]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Generate deterministic synthetic product packages (no download)."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--fmt")
    paths = generate(out, count=count, seed=seed, families=_families(families), fmt=fmt, quicklooks=quicklooks)
    for path in paths:
        typer.echo(str(path))
