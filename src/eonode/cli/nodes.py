"""`eonode node join` (on a child: ask a parent to take this node in) and `eonode nodes …` (on a
parent: requests, approvals, agreements, revocation, resynchronisation and the status tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from eonode.cli.common import DataDir, settings_for
from eonode.cli.users import ACTOR, opened
from eonode.errors import InvalidParameter
from eonode.federation.agreement import Agreement
from eonode.federation.children import Child
from eonode.federation.parent_link import link_file, request_join

node_app = typer.Typer(help="This node's place under a parent node.", no_args_is_help=True)
nodes_app = typer.Typer(help="Child nodes of this node.", no_args_is_help=True)


def _territory(value: str | None) -> dict[str, Any] | list[str] | None:
    if not value:
        return None
    if value.startswith("@"):
        loaded = orjson.loads(Path(value[1:]).read_bytes())
        if not isinstance(loaded, dict):
            raise InvalidParameter(f"{value[1:]} is not a GeoJSON object")
        geometry = loaded.get("geometry", loaded)
        return dict(geometry)
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def _list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@node_app.command("join")
def join(
    parent: Annotated[str, typer.Option(help="The parent node's URL")],
    name: Annotated[str, typer.Option(help="This node's name (lower-case letters, digits, hyphens)")],
    contact: Annotated[str, typer.Option(help="E-mail address of this node's operator")],
    organisation: Annotated[str, typer.Option(help="Organisation")] = "",
    country: Annotated[str, typer.Option(help="ISO country code of this node")] = "",
    url: Annotated[str, typer.Option(help="This node's public address, if any")] = "",
    territory: Annotated[
        str | None, typer.Option(help="Country codes (CN,MN) or @file.geojson: the area this node serves")
    ] = None,
    collections: Annotated[str | None, typer.Option(help="Collection ids, comma-separated (default: all)")] = None,
    levels: Annotated[str | None, typer.Option(help="Processing levels, comma-separated (default: all)")] = None,
    max_cloud: Annotated[float | None, typer.Option(help="Highest cloud cover wanted (percent)")] = None,
    mode: Annotated[str, typer.Option(help="metadata, full or on_demand")] = "full",
    data_dir: DataDir = None,
) -> None:
    """Ask PARENT to take this node in. The node generates its own credential and keeps it in its
    data folder; once the parent's administrator approves, `eonode serve` follows the parent."""
    settings = settings_for(data_dir)
    body = {
        "name": name,
        "contact": contact,
        "organisation": organisation,
        "country": country,
        "url": url,
        "territory": _territory(territory),
        "collections": _list(collections),
        "levels": _list(levels),
        "max_cloud_cover": max_cloud,
        "mode": mode,
    }
    answer = request_join(settings, parent, body)
    typer.echo(
        f"asked {parent} to take in {name} (request {answer['id']}, {answer['status']}); link in {link_file(settings)}"
    )


def _line(child: Child) -> str:
    scope = ""
    if child.agreement is not None:
        a = child.agreement
        where = ",".join(a.territory) if isinstance(a.territory, tuple) else ("area" if a.territory else "everywhere")
        scope = f"{a.mode:<9} {where:<16} {','.join(a.collections or ('all',))}"
    return f"{child.id:>4}  {child.name:<20} {child.status:<9} {child.country:<3} {child.contact:<28} {scope}"


@nodes_app.command("list")
def list_nodes(data_dir: DataDir = None) -> None:
    """Child nodes: requests, approved, rejected, revoked."""
    with opened(data_dir) as node:
        for child in node.children.all():
            typer.echo(_line(child))


def _agreement(child: Child, text: str | None) -> Agreement:
    if text is None:
        return Agreement.parse(child.requested)
    return Agreement.parse(Path(text[1:]).read_bytes() if text.startswith("@") else text)


@nodes_app.command("approve")
def approve(
    name: str,
    agreement: Annotated[
        str | None, typer.Option(help="Agreement JSON (or @file); default: what the node asked for")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Approve a join request; the node's own credential becomes its machine account's key."""
    with opened(data_dir) as node:
        child = node.children.by_name(name)
        done = node.children.approve(child.id, _agreement(child, agreement), actor=ACTOR)
    typer.echo(_line(done))


@nodes_app.command("agreement")
def set_agreement(
    name: str, agreement: Annotated[str, typer.Argument(help="Agreement JSON or @file")], data_dir: DataDir = None
) -> None:
    """Replace an approved node's agreement."""
    with opened(data_dir) as node:
        child = node.children.by_name(name)
        typer.echo(_line(node.children.set_agreement(child.id, _agreement(child, agreement), actor=ACTOR)))


@nodes_app.command("reject")
def reject(name: str, reason: Annotated[str, typer.Option(help="Why")] = "", data_dir: DataDir = None) -> None:
    """Reject a join request."""
    with opened(data_dir) as node:
        typer.echo(_line(node.children.reject(node.children.by_name(name).id, reason, actor=ACTOR)))


@nodes_app.command("revoke")
def revoke(name: str, reason: Annotated[str, typer.Option(help="Why")] = "", data_dir: DataDir = None) -> None:
    """Revoke an approved node: it is refused from its next request on."""
    with opened(data_dir) as node:
        typer.echo(_line(node.children.revoke(node.children.by_name(name).id, reason, actor=ACTOR)))


@nodes_app.command("resync")
def resync(
    name: str,
    since: Annotated[int, typer.Option(help="Sequence number to read again from")] = 0,
    data_dir: DataDir = None,
) -> None:
    """Ask a node to read its feed again from a sequence number (told with its next report)."""
    with opened(data_dir) as node:
        typer.echo(_line(node.children.ask_resync(node.children.by_name(name).id, since, actor=ACTOR)))


def _tree_lines(reports: list[dict[str, Any]], depth: int) -> list[str]:
    lines = []
    for entry in reports:
        report = entry.get("report") or {}
        state = entry.get("status", "approved")
        lag = (
            f"lag {report.get('lag_events', '?')} events / {report.get('lag_seconds', '?')} s"
            if report
            else "no report yet"
        )
        items = report.get("items", "?")
        lines.append(
            f"{'  ' * depth}└─ {entry.get('name')}  [{state}]  {lag}  items {items}  queue {report.get('queue', 0)}"
            f"  reported {entry.get('reported') or '—'}"
        )
        lines += _tree_lines(report.get("children", []), depth + 1)
    return lines


@nodes_app.command("status")
def status(data_dir: DataDir = None) -> None:
    """The tree below this node, with each node's lag, items and transfer queue from its latest report."""
    with opened(data_dir) as node:
        entries = []
        for child in node.children.all():
            latest = node.children.reports(child.id, limit=1) if child.status == "approved" else []
            at, body = latest[0] if latest else (None, {})
            entries.append(
                {"name": child.name, "status": child.status, "reported": at.isoformat() if at else None, "report": body}
            )
        typer.echo(f"{node.settings.title}  (last event {node.catalog.last_seq()})")
    for line in _tree_lines(entries, 0):
        typer.echo(line)
