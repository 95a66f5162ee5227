"""Options every command shares, and how commands build their settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from eonode.settings import Settings, load_settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Node data folder [default: $EONODE_DATA_DIR or ./eonode-data]", show_default=False
    ),
]


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    """Environment first, then the command line; refuses contradictions with one clear line."""
    return load_settings(data_dir=data_dir, **overrides)
