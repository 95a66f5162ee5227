"""My account over JSON: profile, password, API keys, downloads, quota, signed links, grants.

Everything here is about the signed-in user only; nobody reads another user's keys or history
through these routes (administrators use ``/admin``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.accounts.access import refuse
from eonode.accounts.model import User
from eonode.accounts.permissions import Action
from eonode.api.auth import client_ip
from eonode.api.deps import node_of
from eonode.api.links import Urls
from eonode.api.principal import principal_of
from eonode.api.responses import JsonResponse
from eonode.errors import AssetNotFound, Unauthorized

router = APIRouter(prefix="/me", tags=["my account"])


async def me(request: Request, action: Action = Action.MANAGE_ACCOUNT) -> User:
    """The signed-in user, allowed to do ``action`` on their own account."""
    principal = principal_of(request)
    if principal.user is None:
        raise Unauthorized("sign in (session) or send 'Authorization: Bearer <API key>'")
    refuse(node_of(request).accounts.access.decide(principal, action, owner=principal.user.id))
    return principal.user


class ProfileChange(BaseModel):
    full_name: str | None = Field(None, max_length=200)
    organisation: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=3)


class PasswordChange(BaseModel):
    current: str = Field(max_length=1024)
    password: str = Field(max_length=1024)
    password2: str | None = Field(None, max_length=1024)


class KeyRequest(BaseModel):
    name: str = Field(max_length=100)


class LinkRequest(BaseModel):
    collection: str
    item: str
    asset: str
    days: float | None = Field(None, gt=0, description="Validity (at most the node's signed_link_days).")


@router.get("", summary="My profile")
async def profile(request: Request) -> Response:
    return JsonResponse((await me(request, Action.VIEW_ACCOUNT)).public())


@router.patch("", summary="Change my name, organisation or country")
async def change_profile(request: Request, body: ProfileChange) -> Response:
    user = await me(request)
    users = node_of(request).accounts.users
    values = {k: v.strip() for k, v in body.model_dump(exclude_none=True).items()}
    if "country" in values:
        values["country"] = users.clean_country(values["country"])
    updated = await run_in_threadpool(lambda: users.store.update_user(user.id, **values)) if values else user
    return JsonResponse(updated.public())


@router.post("/password", status_code=204, summary="Change my password (ends my other sessions)")
async def change_password(request: Request, body: PasswordChange) -> Response:
    user = await me(request, Action.CHANGE_PASSWORD)
    users = node_of(request).accounts.users
    await run_in_threadpool(
        users.change_password, user, body.current, body.password, body.password2, ip=client_ip(request)
    )
    return Response(status_code=204)


@router.get("/keys", summary="My API keys (never their secrets)")
async def list_keys(request: Request) -> Response:
    user = await me(request)
    keys = await run_in_threadpool(node_of(request).accounts.store.list_keys, user.id)
    return JsonResponse({"keys": [k.public() for k in keys]})


@router.post("/keys", status_code=201, summary="Create an API key: its secret is shown once, in this answer")
async def create_key(request: Request, body: KeyRequest) -> Response:
    user = await me(request)
    key, secret = await run_in_threadpool(
        node_of(request).accounts.users.create_key, user, body.name, ip=client_ip(request)
    )
    return JsonResponse({**key.public(), "secret": secret, "use": "Authorization: Bearer <secret>"}, status_code=201)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke one of my API keys")
async def revoke_key(request: Request, key_id: int) -> Response:
    user = await me(request)
    await run_in_threadpool(node_of(request).accounts.users.revoke_key, user, key_id, ip=client_ip(request))
    return Response(status_code=204)


@router.get("/downloads", summary="My download history")
async def downloads(request: Request, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)) -> Response:
    user = await me(request, Action.VIEW_ACCOUNT)
    rows = await run_in_threadpool(
        lambda: node_of(request).accounts.store.list_downloads(user_id=user.id, limit=limit, offset=offset)
    )
    return JsonResponse({"downloads": [d.public() for d in rows]})


@router.get("/quota", summary="My limits, usage and reset times (never counted against the quota)")
async def quota(request: Request) -> Response:
    principal = principal_of(request)
    usage = await run_in_threadpool(node_of(request).accounts.quotas.usage, principal)
    return JsonResponse(usage)


@router.get("/grants", summary="Collections I was granted (approval, purchase)")
async def grants(request: Request) -> Response:
    user = await me(request, Action.VIEW_ACCOUNT)
    rows = await run_in_threadpool(node_of(request).accounts.store.list_grants, user.id)
    return JsonResponse({"grants": rows})


@router.post("/links", status_code=201, summary="A signed download link (valid for days, bound to me and the asset)")
async def signed_link(request: Request, body: LinkRequest) -> Response:
    user = await me(request)
    node = node_of(request)
    principal = principal_of(request)
    refuse(await run_in_threadpool(node.accounts.access.decide, principal, Action.DOWNLOAD, body.collection))
    stored = await run_in_threadpool(node.catalog.get_item, body.collection, body.item)
    if body.asset not in stored.doc.get("assets", {}):
        raise AssetNotFound(f"item {body.item!r} has no asset {body.asset!r}")
    link = node.accounts.links.make(user.id, body.collection, body.item, body.asset, days=body.days)
    href = Urls.of(request, node.settings).asset(body.collection, body.item, body.asset)
    return JsonResponse(
        {"href": f"{href}?{urlencode(link.params)}", "expires": link.expires.isoformat()}, status_code=201
    )
