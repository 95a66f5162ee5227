"""Entry point: `eonode …`. Errors print as one line (a traceback only with --debug)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from eonode import __version__
from eonode.cli import admin, catalog, demo_data, ingest, nodes, serve, users
from eonode.errors import EonodeError

app = typer.Typer(
    name="eonode",
    help="Share Earth-observation data through a network of nodes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("ingest")(ingest.ingest)
app.command("demo-data")(demo_data.demo_data)
app.add_typer(catalog.app, name="catalog")
app.add_typer(admin.config_app, name="config")
app.add_typer(admin.db_app, name="db")
app.add_typer(users.user_app, name="user")
app.add_typer(users.policy_app, name="policy")
app.add_typer(users.quota_app, name="quota")
app.add_typer(nodes.node_app, name="node")
app.add_typer(nodes.nodes_app, name="nodes")

_debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eonode {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    global _debug
    _debug = debug


def main() -> None:
    try:
        app()  # click itself reports usage errors (exit status 2)
    except EonodeError as exc:
        if _debug:
            raise
        typer.echo(f"error: {exc.description}", err=True)
        sys.exit(1)
    except Exception as exc:  # the CLI's last line of defence: one line, not a traceback
        if _debug:
            raise
        typer.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)
