"""`eonode user …`, `eonode policy …` and `eonode quota …`: accounts, access policies and quotas
from the command line (acting as the node itself; recorded in the audit log as ``cli``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import orjson
import typer

from eonode.accounts.model import QUOTA_FIELDS, QuotaLimits, QuotaOverride, Role, User, UserStatus
from eonode.cli.common import DataDir, settings_for
from eonode.errors import NotFound
from eonode.node import Node

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
policy_app = typer.Typer(help="Collection access policies.", no_args_is_help=True)
quota_app = typer.Typer(help="Quotas per role.", no_args_is_help=True)
ACTOR = "cli"


@contextmanager
def opened(data_dir: DataDir) -> Iterator[Node]:
    settings = settings_for(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    node = Node.open(settings)
    try:
        yield node
    finally:
        node.close()


def _user(node: Node, name: str) -> User:
    user = node.accounts.store.find_user(name)
    if user is None:
        raise NotFound(f"no account {name!r}")
    return user


def _line(user: User) -> str:
    return (
        f"{user.id:>5}  {user.username:<20} {user.email:<32} {user.role.value:<9} {user.status.value:<9} "
        f"{user.organisation[:24]:<24} {user.country}"
    )


# -- users ------------------------------------------------------------------------------------------------
@user_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Account name")],
    email: Annotated[str, typer.Option(help="E-mail address")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password (asked if not given)")
    ],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an administrator")] = False,
    role: Annotated[Role, typer.Option(help="Role: user, operator, admin, node")] = Role.USER,
    organisation: Annotated[str, typer.Option(help="Organisation")] = "",
    country: Annotated[str, typer.Option(help="ISO country code")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an active account (no e-mail verification)."""
    with opened(data_dir) as node:
        user = node.accounts.users.add_user(
            username,
            email,
            password,
            role=Role.ADMIN if admin else role,
            organisation=organisation,
            country=country,
            actor=ACTOR,
        )
    typer.echo(f"created {user.username} ({user.role.value})")


@user_app.command("list")
def list_users(
    search: Annotated[str | None, typer.Option("--search", "-s", help="Part of name, e-mail or organisation")] = None,
    role: Annotated[Role | None, typer.Option(help="Only this role")] = None,
    status: Annotated[UserStatus | None, typer.Option(help="Only this status")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
    data_dir: DataDir = None,
) -> None:
    """List accounts."""
    with opened(data_dir) as node:
        found, total = node.accounts.store.list_users(text=search, role=role, status=status, limit=10_000)
    for user in found:
        typer.echo(orjson.dumps(user.public()).decode() if as_json else _line(user))
    if not as_json:
        typer.echo(f"{total} account{'s' if total != 1 else ''}", err=True)


def _set_status(name: str, status: UserStatus, data_dir: DataDir) -> None:
    with opened(data_dir) as node:
        user = node.accounts.users.set_status(_user(node, name).id, status, actor=ACTOR)
    typer.echo(f"{user.username}: {user.status.value}")


@user_app.command("disable")
def disable(username: str, data_dir: DataDir = None) -> None:
    """Disable an account (its sessions end; its keys and links stop working)."""
    _set_status(username, UserStatus.DISABLED, data_dir)


@user_app.command("enable")
def enable(username: str, data_dir: DataDir = None) -> None:
    """Enable an account again (also activates a pending one)."""
    _set_status(username, UserStatus.ACTIVE, data_dir)


@user_app.command("role")
def set_role(username: str, role: Role, data_dir: DataDir = None) -> None:
    """Change an account's role: user, operator, admin or node."""
    with opened(data_dir) as node:
        user = node.accounts.users.set_role(_user(node, username).id, role, actor=ACTOR)
    typer.echo(f"{user.username}: {user.role.value}")


@user_app.command("downloads")
def downloads(username: str, limit: int = 50, data_dir: DataDir = None) -> None:
    """A user's recent downloads."""
    with opened(data_dir) as node:
        rows = node.accounts.store.list_downloads(user_id=_user(node, username).id, limit=limit)
    for d in rows:
        typer.echo(
            f"{d.started:%Y-%m-%d %H:%M:%S}  {d.status:<8} {d.bytes_sent:>14,}  {d.collection}/{d.item_id}/{d.asset}"
        )


@user_app.command("grant")
def grant(
    username: str,
    collection: str,
    kind: Annotated[str, typer.Option(help="approval or purchase")] = "approval",
    days: Annotated[float | None, typer.Option(help="Valid for this many days [default: no end]")] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw the grant instead")] = False,
    data_dir: DataDir = None,
) -> None:
    """Grant (or withdraw) a user's download access to a collection that needs approval or purchase."""
    with opened(data_dir) as node:
        user = _user(node, username)
        if revoke:
            done = node.accounts.access.revoke_grant(user.id, collection, kind, actor=ACTOR)
            typer.echo(f"{username}: {kind} grant on {collection} {'withdrawn' if done else 'did not exist'}")
        else:
            node.catalog.get_collection(collection)
            node.accounts.access.grant(user.id, collection, kind, actor=ACTOR, days=days)
            typer.echo(f"{username}: {kind} grant on {collection}")


def _limit(value: str | None) -> int | None:
    if value is None or value.lower() in {"none", "unlimited", ""}:
        return None
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    text = value.strip().lower().removesuffix("ib").removesuffix("b")
    factor = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        return int(float(number) * factor)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a number (e.g. 500, 20GiB, unlimited)") from None


def _given(*values: str | None) -> dict[str, int | None]:
    """The limits named on the command line, parsed (in QUOTA_FIELDS order)."""
    return {k: _limit(v) for k, v in zip(QUOTA_FIELDS, values, strict=True) if v is not None}


QuotaOpt = Annotated[str | None, typer.Option(help="A number ('20GiB' for bytes), or 'unlimited'")]


@user_app.command("quota")
def user_quota(
    username: str,
    bytes_per_day: QuotaOpt = None,
    concurrent_downloads: QuotaOpt = None,
    requests_per_minute: QuotaOpt = None,
    reset: Annotated[bool, typer.Option("--reset", help="Follow the role's limits again")] = False,
    data_dir: DataDir = None,
) -> None:
    """Show or set a user's own limits (options not given follow the role)."""
    given = _given(bytes_per_day, concurrent_downloads, requests_per_minute)
    with opened(data_dir) as node:
        user = _user(node, username)
        if reset or given:
            override = QuotaOverride(**given, given=frozenset(given)) if given else None
            node.accounts.store.put_user_quota(user.id, override)
            node.accounts.store.audit(
                "quota.user", actor=ACTOR, subject=user.username, now=node.accounts.users.clock(), limits=given
            )
        from eonode.accounts.model import Principal

        usage = node.accounts.quotas.usage(Principal(user.role, "", user, "session"))
    typer.echo(orjson.dumps(usage, option=orjson.OPT_INDENT_2).decode())


# -- policies ---------------------------------------------------------------------------------------------
@policy_app.command("show")
def policy_show(data_dir: DataDir = None) -> None:
    """Every collection's access policy (default: the node's default policy applies)."""
    with opened(data_dir) as node:
        stored = node.accounts.store.policies()
        ids = sorted(set(node.catalog.collection_ids()) | set(stored))
        for cid in ids:
            p = node.accounts.access.policy(cid, stored)
            roles = f" ({','.join(sorted(r.value for r in p.roles))})" if p.roles else ""
            note = "" if p.explicit else "default"
            typer.echo(f"{cid:<28} {p.visibility.value + roles:<24} {p.data_access.value:<10} {note}")


@policy_app.command("set")
def policy_set(
    collection: str,
    visibility: Annotated[str | None, typer.Option(help="public, registered or role")] = None,
    data_access: Annotated[str | None, typer.Option(help="open, registered, approval, purchase or none")] = None,
    roles: Annotated[str | None, typer.Option(help="Comma-separated roles, for visibility 'role'")] = None,
    data_dir: DataDir = None,
) -> None:
    """Set a collection's metadata visibility and data access."""
    with opened(data_dir) as node:
        node.catalog.get_collection(collection)
        p = node.accounts.access.set_policy(
            collection,
            visibility=visibility,
            data_access=data_access,
            roles=[r.strip() for r in roles.split(",") if r.strip()] if roles is not None else None,
            actor=ACTOR,
        )
    typer.echo(orjson.dumps(p.public()).decode())


@policy_app.command("reset")
def policy_reset(collection: str, data_dir: DataDir = None) -> None:
    """Return a collection to the node's default policy."""
    with opened(data_dir) as node:
        p = node.accounts.access.reset_policy(collection, actor=ACTOR)
    typer.echo(orjson.dumps(p.public()).decode())


# -- quotas per role ----------------------------------------------------------------------------------------
@quota_app.command("show")
def quota_show(data_dir: DataDir = None) -> None:
    """The limits of every role."""
    with opened(data_dir) as node:
        limits = node.accounts.quotas.role_limits()
    typer.echo(orjson.dumps({r.value: q.public() for r, q in limits.items()}, option=orjson.OPT_INDENT_2).decode())


@quota_app.command("set")
def quota_set(
    role: Role,
    bytes_per_day: QuotaOpt = None,
    concurrent_downloads: QuotaOpt = None,
    requests_per_minute: QuotaOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Set a role's limits (options not given keep their value)."""
    with opened(data_dir) as node:
        current = node.accounts.quotas.role_limits()[role]
        given = _given(bytes_per_day, concurrent_downloads, requests_per_minute)
        merged = QuotaLimits(**{f: given.get(f, getattr(current, f)) for f in QUOTA_FIELDS})
        node.accounts.quotas.set_role_limits(role, merged)
        node.accounts.store.audit(
            "quota.role", actor=ACTOR, subject=role.value, now=node.accounts.users.clock(), limits=merged.public()
        )
    typer.echo(orjson.dumps({role.value: merged.public()}).decode())
