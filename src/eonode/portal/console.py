"""The administrator console (``/console``): users and roles, collection access policies, the
background work (the inbox worker, packages waiting or being ingested, its recent rounds), the
quarantine (reasons, retry) and recent security events. Operators see it and may retry
quarantined packages; only administrators change roles, account status and policies. Every form
carries the CSRF token; every change goes through the same services (and audit log) as the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from eonode.accounts.model import Role, UserStatus
from eonode.accounts.permissions import Action
from eonode.api.account_pages import checked_form, field
from eonode.api.auth import client_ip
from eonode.api.deps import node_of
from eonode.api.principal import principal_of
from eonode.errors import EonodeError
from eonode.ingest.activity import read_activity
from eonode.ingest.quarantine import list_quarantine, release
from eonode.portal.pages import render_page

router = APIRouter(prefix="/console", include_in_schema=False)
VIS_LABELS = {"public": "Everyone", "registered": "Signed-in accounts", "role": "Only the roles ticked"}
ACCESS_LABELS = {
    "open": "Open to all",
    "registered": "Signed-in accounts",
    "approval": "Accounts an administrator approved",
    "purchase": "Buyers",
    "none": "Nobody (metadata only)",
}


def _gate(request: Request, action: Action) -> Response | None:
    """A redirect to log in, or a refusal page, unless the signed-in user may do ``action``."""
    principal = principal_of(request)
    if principal.via != "session" or principal.user is None:
        return RedirectResponse("/account/login?next=/console", status_code=303)
    decision = node_of(request).accounts.access.decide(principal, action)
    if not decision:
        return render_page(request, "console.html", "Administration", 403, error=decision.reason, denied=True)
    return None


async def _console(request: Request, status: int = 200, **extra: Any) -> Response:
    node = node_of(request)
    q = request.query_params.get("q", "")

    def gather() -> dict[str, Any]:
        accounts = node.accounts
        users, total = accounts.store.list_users(text=q or None, limit=100)
        stored = accounts.store.policies()
        ids = sorted(set(node.catalog.collection_ids()) | set(stored))
        return {
            "users": users,
            "user_total": total,
            "policies": [accounts.access.policy(c, stored) for c in ids],
            "quarantine": list_quarantine(node.settings.effective_quarantine_dir),
            "inbox": read_activity(node.settings.effective_inbox_dir),
            "events": accounts.store.list_audit(limit=20),
        }

    facts = await run_in_threadpool(gather)
    admin = principal_of(request).role is Role.ADMIN
    return render_page(
        request,
        "console.html",
        "Administration",
        status,
        q=q,
        admin=admin,
        roles=list(Role)[1:],
        vis_labels=VIS_LABELS,
        access_labels=ACCESS_LABELS,
        **facts,
        **extra,
    )


@router.get("")
async def console(request: Request) -> Response:
    return _gate(request, Action.LIST_USERS) or await _console(request)


@router.post("/users/{user_id}")
async def change_user(request: Request, user_id: int) -> Response:
    form = await checked_form(request)
    if refused := _gate(request, Action.ADMINISTER_USERS):
        return refused
    users = node_of(request).accounts.users
    actor, ip = principal_of(request).label, client_ip(request)
    try:
        if role := field(form, "role"):
            await run_in_threadpool(lambda: users.set_role(user_id, Role(role), actor=actor, ip=ip))
        if status := field(form, "status"):
            await run_in_threadpool(lambda: users.set_status(user_id, UserStatus(status), actor=actor, ip=ip))
    except (EonodeError, ValueError) as exc:
        return await _console(request, 400, error=getattr(exc, "description", str(exc)))
    return RedirectResponse("/console#users", status_code=303)


@router.post("/policies/{collection_id}")
async def change_policy(request: Request, collection_id: str) -> Response:
    form = await checked_form(request)
    if refused := _gate(request, Action.SET_POLICY):
        return refused
    node = node_of(request)
    roles = [r for r in form.getlist("roles") if isinstance(r, str) and r]
    try:
        await run_in_threadpool(node.catalog.get_collection, collection_id)
        await run_in_threadpool(
            lambda: node.accounts.access.set_policy(
                collection_id,
                visibility=field(form, "visibility") or None,
                data_access=field(form, "data_access") or None,
                roles=roles,
                actor=principal_of(request).label,
                ip=client_ip(request),
            )
        )
    except EonodeError as exc:
        return await _console(request, exc.status, error=exc.description)
    return RedirectResponse("/console#policies", status_code=303)


@router.post("/quarantine/{name}/retry")
async def retry(request: Request, name: str) -> Response:
    await checked_form(request)
    if refused := _gate(request, Action.WRITE_CATALOG):
        return refused
    settings = node_of(request).settings
    try:
        moved = await run_in_threadpool(release, settings.effective_quarantine_dir, name, settings.effective_inbox_dir)
        accounts, actor, ip = node_of(request).accounts, principal_of(request).label, client_ip(request)
        await run_in_threadpool(
            lambda: accounts.store.audit(
                "ingest.retry", actor=actor, subject=moved.name, ip=ip, now=accounts.users.clock()
            )
        )
    except EonodeError as exc:
        return await _console(request, exc.status, error=exc.description)
    return RedirectResponse("/console#quarantine", status_code=303)
