"""`eonode config show` and `eonode db upgrade`."""

from __future__ import annotations

import orjson
import typer

from eonode.cli.common import DataDir, settings_for
from eonode.db.migrate import current_revision, head_revision
from eonode.node import open_catalog

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@config_app.command("show")
def show(data_dir: DataDir = None) -> None:
    """Print the effective settings (secrets masked) as JSON."""
    typer.echo(orjson.dumps(settings_for(data_dir).masked(), option=orjson.OPT_INDENT_2).decode())


@db_app.command("upgrade")
def upgrade(data_dir: DataDir = None) -> None:
    """Bring the catalogue database schema up to date (a node also does this on start)."""
    settings = settings_for(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalog = open_catalog(settings)
    catalog.close()
    typer.echo(f"database schema at revision {head_revision()}")


@db_app.command("status")
def status(data_dir: DataDir = None) -> None:
    """Show the schema revision of the database and the revision this version needs."""
    settings = settings_for(data_dir)
    from sqlalchemy import create_engine

    engine = create_engine(settings.effective_database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"database: {current or 'empty'}; this eonode needs: {head_revision()}")
