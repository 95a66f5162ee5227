"""Administration over JSON: users and roles, collection policies, grants, quotas, the audit log.

Operators may read (users, downloads, policies, audit); administrators may also change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.accounts.model import QUOTA_FIELDS, QuotaLimits, QuotaOverride, Role, UserStatus
from eonode.accounts.permissions import Action
from eonode.api.auth import client_ip
from eonode.api.deps import node_of
from eonode.api.principal import principal_of
from eonode.api.responses import JsonResponse
from eonode.errors import InvalidParameter

router = APIRouter(prefix="/admin", tags=["administration"])


async def allowed(request: Request, action: Action, owner: int | None = None) -> str:
    """Check the action; returns the actor's name for the audit log."""
    principal = principal_of(request)
    node_of(request).accounts.access.require(principal, action, owner=owner)
    return principal.label


class UserChange(BaseModel):
    role: Role | None = None
    status: UserStatus | None = None


class PolicyChange(BaseModel):
    visibility: str | None = Field(None, description="public | registered | role")
    data_access: str | None = Field(None, description="open | registered | approval | purchase | none")
    roles: list[str] | None = Field(None, description="Roles that see the collection when visibility is 'role'.")


class GrantRequest(BaseModel):
    collection: str
    kind: str = Field("approval", description="approval | purchase")
    days: float | None = Field(None, gt=0)
    note: str = Field("", max_length=500)


def _quota_body(body: dict[str, Any]) -> tuple[dict[str, int | None], frozenset[str]]:
    unknown = set(body) - set(QUOTA_FIELDS)
    if unknown:
        raise InvalidParameter(f"unknown quota fields {sorted(unknown)}; known: {', '.join(QUOTA_FIELDS)}")
    values: dict[str, int | None] = {}
    for name, value in body.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidParameter(f"{name} must be a whole number ≥ 0, or null for unlimited")
        values[name] = value
    return values, frozenset(values)


# -- users ---------------------------------------------------------------------------------------------------
@router.get("/users", summary="List and search users")
async def list_users(
    request: Request,
    q: str | None = Query(None, max_length=100, description="Part of the name, e-mail, organisation"),
    role: Role | None = None,
    status: UserStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Response:
    await allowed(request, Action.LIST_USERS)
    store = node_of(request).accounts.store
    found, total = await run_in_threadpool(
        lambda: store.list_users(text=q, role=role, status=status, limit=limit, offset=offset)
    )
    return JsonResponse({"users": [u.public() for u in found], "numberMatched": total})


@router.get("/users/{user_id}", summary="One user, with keys, grants and quota")
async def get_user(request: Request, user_id: int) -> Response:
    await allowed(request, Action.LIST_USERS)
    accounts = node_of(request).accounts

    def gather() -> dict[str, Any]:
        user = accounts.store.get_user(user_id)
        from eonode.accounts.model import Principal

        limits = accounts.quotas.limits(Principal(user.role, "", user, "session"))
        return {
            **user.public(),
            "keys": [k.public() for k in accounts.store.list_keys(user_id)],
            "grants": accounts.store.list_grants(user_id),
            "quota": limits.public(),
        }

    return JsonResponse(await run_in_threadpool(gather))


@router.patch("/users/{user_id}", summary="Change a user's role or status (active / disabled)")
async def change_user(request: Request, user_id: int, body: UserChange) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    users = node_of(request).accounts.users
    ip = client_ip(request)

    def apply() -> dict[str, Any]:
        user = users.store.get_user(user_id)
        if body.role is not None and body.role is not user.role:
            user = users.set_role(user_id, body.role, actor=actor, ip=ip)
        if body.status is not None and body.status is not user.status:
            if body.status is UserStatus.PENDING:
                raise InvalidParameter("status can be set to active or disabled")
            user = users.set_status(user_id, body.status, actor=actor, ip=ip)
        return user.public()

    return JsonResponse(await run_in_threadpool(apply))


@router.get("/users/{user_id}/downloads", summary="A user's downloads")
async def user_downloads(
    request: Request, user_id: int, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
) -> Response:
    await allowed(request, Action.LIST_USERS)
    store = node_of(request).accounts.store
    await run_in_threadpool(store.get_user, user_id)
    rows = await run_in_threadpool(lambda: store.list_downloads(user_id=user_id, limit=limit, offset=offset))
    return JsonResponse({"downloads": [d.public() for d in rows]})


@router.put(
    "/users/{user_id}/quota", summary="Set a user's own limits (fields left out follow the role; null: unlimited)"
)
async def set_user_quota(request: Request, user_id: int) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    values, given = _quota_body(await _json_object(request))
    accounts = node_of(request).accounts
    user = await run_in_threadpool(accounts.store.get_user, user_id)
    override = QuotaOverride(**values, given=given)
    await run_in_threadpool(accounts.store.put_user_quota, user_id, override)
    await run_in_threadpool(
        lambda: accounts.store.audit(
            "quota.user",
            actor=actor,
            subject=user.username,
            ip=client_ip(request),
            now=accounts.users.clock(),
            limits=values,
        )
    )
    return JsonResponse({"user": user.username, "override": values})


@router.post("/users/{user_id}/grants", status_code=201, summary="Grant a user download access to a collection")
async def add_grant(request: Request, user_id: int, body: GrantRequest) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    await run_in_threadpool(node_of(request).catalog.get_collection, body.collection)
    access = node_of(request).accounts.access
    await run_in_threadpool(
        lambda: access.grant(
            user_id, body.collection, body.kind, actor=actor, days=body.days, note=body.note, ip=client_ip(request)
        )
    )
    return JsonResponse({"user_id": user_id, "collection": body.collection, "kind": body.kind}, status_code=201)


@router.delete("/users/{user_id}/grants/{collection_id}/{kind}", status_code=204, summary="Withdraw a grant")
async def delete_grant(request: Request, user_id: int, collection_id: str, kind: str) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    access = node_of(request).accounts.access
    await run_in_threadpool(
        lambda: access.revoke_grant(user_id, collection_id, kind, actor=actor, ip=client_ip(request))
    )
    return Response(status_code=204)


# -- quotas per role ---------------------------------------------------------------------------------------
@router.get("/quotas", summary="Limits per role")
async def role_quotas(request: Request) -> Response:
    await allowed(request, Action.READ_AUDIT)
    limits = await run_in_threadpool(node_of(request).accounts.quotas.role_limits)
    return JsonResponse({role.value: q.public() for role, q in limits.items()})


@router.put("/quotas/{role}", summary="Set a role's limits (null: unlimited)")
async def set_role_quota(request: Request, role: Role) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    values, given = _quota_body(await _json_object(request))
    accounts = node_of(request).accounts
    current = (await run_in_threadpool(accounts.quotas.role_limits))[role]
    merged = QuotaLimits(**{f: values[f] if f in given else getattr(current, f) for f in QUOTA_FIELDS})
    await run_in_threadpool(accounts.quotas.set_role_limits, role, merged)
    await run_in_threadpool(
        lambda: accounts.store.audit(
            "quota.role",
            actor=actor,
            subject=role.value,
            ip=client_ip(request),
            now=accounts.users.clock(),
            limits=merged.public(),
        )
    )
    return JsonResponse({role.value: merged.public()})


# -- collection policies ------------------------------------------------------------------------------------
@router.get("/policies", summary="The access policy of every collection")
async def policies(request: Request) -> Response:
    await allowed(request, Action.READ_AUDIT)
    node = node_of(request)

    def gather() -> list[dict[str, object]]:
        stored = node.accounts.store.policies()
        ids = [c["id"] for c in node.catalog.list_collections()]
        return [node.accounts.access.policy(c, stored).public() for c in sorted(set(ids) | set(stored))]

    return JsonResponse({"policies": await run_in_threadpool(gather)})


@router.get("/collections/{collection_id}/policy", summary="A collection's access policy")
async def get_policy(request: Request, collection_id: str) -> Response:
    await allowed(request, Action.READ_AUDIT)
    node = node_of(request)
    await run_in_threadpool(node.catalog.get_collection, collection_id)
    return JsonResponse((await run_in_threadpool(node.accounts.access.policy, collection_id)).public())


@router.put("/collections/{collection_id}/policy", summary="Set a collection's access policy")
async def put_policy(request: Request, collection_id: str, body: PolicyChange) -> Response:
    actor = await allowed(request, Action.SET_POLICY)
    node = node_of(request)
    await run_in_threadpool(node.catalog.get_collection, collection_id)
    policy = await run_in_threadpool(
        lambda: node.accounts.access.set_policy(
            collection_id,
            visibility=body.visibility,
            data_access=body.data_access,
            roles=body.roles,
            actor=actor,
            ip=client_ip(request),
        )
    )
    return JsonResponse(policy.public())


@router.delete("/collections/{collection_id}/policy", summary="Return a collection to the node's default policy")
async def reset_policy(request: Request, collection_id: str) -> Response:
    actor = await allowed(request, Action.SET_POLICY)
    await run_in_threadpool(node_of(request).catalog.get_collection, collection_id)
    access = node_of(request).accounts.access
    policy = await run_in_threadpool(lambda: access.reset_policy(collection_id, actor=actor, ip=client_ip(request)))
    return JsonResponse(policy.public())


# -- audit ---------------------------------------------------------------------------------------------------
@router.get("/audit", summary="Security events, newest first")
async def audit(
    request: Request,
    event: str | None = Query(None, description="Event name; '*' matches any text (e.g. login.*)"),
    actor: str | None = None,
    subject: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    await allowed(request, Action.READ_AUDIT)
    store = node_of(request).accounts.store
    rows = await run_in_threadpool(lambda: store.list_audit(limit=limit, event=event, actor=actor, subject=subject))
    return JsonResponse({"events": [r.public() for r in rows]})


async def _json_object(request: Request) -> dict[str, Any]:
    import orjson

    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidParameter("the body must be a JSON object")
    return body
