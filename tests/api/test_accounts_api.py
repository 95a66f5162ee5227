"""Account flows over HTTP: e-mail codes (read from the outbox folder: no SMTP is configured),
registration, verification, login and lockout, logout, password reset, signed download links,
CSRF protection of portal forms and cookie-authenticated JSON writes, and the per-minute quota.

The accounts services run on a clock the tests move (codes expire, locks lift, links expire and
minutes pass without waiting).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from eonode.accounts.model import Role
from eonode.api.app import create_app
from eonode.node import Node
from tests.api.access_fixtures import (
    Account,
    FakeClock,
    asset_path,
    first_item,
    fresh_client,
    json_login,
    latest_code,
    local,
    make_account,
    open_node,
    outbox_messages,
)

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    node: Node
    client: TestClient
    clock: FakeClock
    admin: Account
    item: str  # an item of gf1-pms (data for registered users)

    def browser(self, *, raise_errors: bool = True) -> TestClient:
        return fresh_client(self.client, raise_errors=raise_errors)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = FakeClock()
    node = open_node(Path(tmp_path_factory.mktemp("accounts")), clock=clock, items=30)
    admin = make_account(node, "ada", Role.ADMIN)
    with TestClient(create_app(node)) as client:
        yield World(node, client, clock, admin, first_item(node, "gf1-pms"))
    node.close()


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return str(body["description"])


def user_named(world: World, username: str) -> dict[str, Any] | None:
    found = world.client.get("/admin/users", params={"q": username}, headers=world.admin.headers).json()["users"]
    return next((u for u in found if u["username"] == username), None)


# -- codes, registration, verification -------------------------------------------------------------------------
def test_register_with_a_code_sent_first(world: World) -> None:
    client, email = world.client, "rita@example.org"
    sent = client.post("/auth/codes", json={"email": email})
    assert sent.status_code == 202
    assert sent.json() == {"email": email, "purpose": "register", "expires_in": 600, "resend_after": 60}
    [mail] = outbox_messages(world.node, email)
    code = latest_code(world.node, email)
    assert code in mail["Subject"]
    form = {"username": "rita", "email": email, "password": "rita-Pass-2024", "password2": "rita-Pass-2024"}

    wrong = "000000" if code != "000000" else "111111"
    assert "wrong" in error(client.post("/auth/register", json={**form, "code": wrong}), 400, "InvalidCode")
    assert user_named(world, "rita") is None
    differ = client.post("/auth/register", json={**form, "code": code, "password2": "something-else-1"})
    error(differ, 400, "WeakPassword")

    made = client.post("/auth/register", json={**form, "code": code, "organisation": "CRESDA", "country": "cn"})
    assert made.status_code == 201, made.text
    doc = made.json()
    assert (doc["username"], doc["status"], doc["country"], doc["next"]) == ("rita", "active", "CN", "log in")
    assert "argon2" not in made.text and "hash" not in made.text
    assert json_login(world.browser(), "rita", "rita-Pass-2024")
    # the code is spent
    again = client.post("/auth/register", json={**form, "username": "rita2", "email": email, "code": code})
    assert again.status_code in (400, 409)


def test_register_then_verify(world: World) -> None:
    client, email = world.client, "vera@example.org"
    made = client.post("/auth/register", json={"username": "vera", "email": email, "password": "vera-Pass-2024"})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending" and "verify" in made.json()["next"]
    code = latest_code(world.node, email)
    login = client.post("/auth/login", json={"username": "vera", "password": "vera-Pass-2024"})
    error(login, 403, "AccountInactive")
    wrong = "000000" if code != "000000" else "111111"
    error(client.post("/auth/verify", json={"email": email, "code": wrong}), 400, "InvalidCode")
    done = client.post("/auth/verify", json={"email": email, "code": code})
    assert done.status_code == 200 and done.json()["status"] == "active"
    error(client.post("/auth/verify", json={"email": email, "code": code}), 409, "AlreadyExists")
    assert json_login(world.browser(), "vera@example.org", "vera-Pass-2024")  # by e-mail address too


def test_codes_expire_and_resends_are_limited(world: World) -> None:
    client, email = world.client, "exp@example.org"
    assert client.post("/auth/codes", json={"email": email}).status_code == 202
    code = latest_code(world.node, email)
    soon = client.post("/auth/codes", json={"email": email})
    assert "moments ago" in error(soon, 429, "TooManyRequests")
    assert 1 <= int(soon.headers["retry-after"]) <= 61
    world.clock.advance(601)  # past the ten minutes
    form = {"username": "exp", "email": email, "password": "exp-Pass-2024", "code": code}
    assert "expired" in error(client.post("/auth/register", json=form), 400, "InvalidCode")
    assert client.post("/auth/codes", json={"email": email}).status_code == 202
    fresh = latest_code(world.node, email)
    assert client.post("/auth/register", json={**form, "code": fresh}).status_code == 201
    error(client.post("/auth/codes", json={"email": "not-an-address"}), 400, "InvalidParameter")


# -- login, logout, lockout, password reset -----------------------------------------------------------------------
def test_login_cookies_and_logout(world: World) -> None:
    lena = make_account(world.node, "lena")
    browser = world.browser()
    response = browser.post("/auth/login", json={"username": "lena", "password": lena.password})
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("eonode_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("eonode_csrf="))
    assert "httponly" in session.lower() and "samesite=lax" in session.lower()
    assert "httponly" not in csrf_cookie.lower()
    assert response.json()["csrf_token"] == browser.cookies["eonode_csrf"]
    token = browser.cookies["eonode_session"]
    assert browser.get("/me").json()["username"] == "lena"

    error(browser.post("/auth/logout"), 403, "CsrfFailed")  # a cross-site page cannot log you out
    assert browser.get("/me").status_code == 200
    out = browser.post("/auth/logout", headers={"X-CSRF-Token": response.json()["csrf_token"]})
    assert out.status_code == 204
    assert browser.get("/me").status_code == 401
    replay = world.browser()
    replay.cookies.set("eonode_session", token)
    assert replay.get("/me").status_code == 401  # the session is gone on the server, not only in the browser


def test_wrong_passwords_lock_the_account(world: World) -> None:
    mia = make_account(world.node, "mia")
    client = world.client
    for _ in range(5):
        error(
            client.post("/auth/login", json={"username": "mia", "password": "not-her-password"}),
            401,
            "InvalidCredentials",
        )
    locked = client.post("/auth/login", json={"username": "mia", "password": mia.password})
    assert "locked" in error(locked, 429, "LoginThrottled")
    assert 55 <= int(locked.headers["retry-after"]) <= 61
    assert locked.headers["x-quota-reset"]
    world.clock.advance(30)
    error(client.post("/auth/login", json={"username": "mia", "password": mia.password}), 429, "LoginThrottled")
    world.clock.advance(31)
    assert json_login(world.browser(), "mia", mia.password)
    # unknown accounts are refused exactly like wrong passwords
    unknown = client.post("/auth/login", json={"username": "nobody-here", "password": "whatever-1234"})
    wrong = client.post("/auth/login", json={"username": "mia", "password": "whatever-1234"})
    assert unknown.json() == wrong.json() and unknown.status_code == wrong.status_code == 401
    events = client.get("/admin/audit", params={"event": "login.*", "subject": "mia"}, headers=world.admin.headers)
    assert {"login.locked", "login.success"} <= {e["event"] for e in events.json()["events"]}


def test_password_reset_by_code(world: World) -> None:
    pia = make_account(world.node, "pia")
    email = pia.user.email
    browser = world.browser()
    json_login(browser, "pia", pia.password)
    assert browser.get("/me").status_code == 200
    sent = world.client.post("/auth/codes", json={"email": email, "purpose": "reset"})
    assert sent.status_code == 202 and sent.json()["purpose"] == "reset"
    code = latest_code(world.node, email)
    new = "pia-New-Pass-77"
    bad = world.client.post(
        "/auth/password-reset", json={"email": email, "code": code, "password": new, "password2": "x"}
    )
    error(bad, 400, "WeakPassword")
    done = world.client.post(
        "/auth/password-reset", json={"email": email, "code": code, "password": new, "password2": new}
    )
    assert done.status_code == 200 and done.json()["username"] == "pia"
    assert browser.get("/me").status_code == 401  # the reset ended the old session
    error(
        world.client.post("/auth/login", json={"username": "pia", "password": pia.password}), 401, "InvalidCredentials"
    )
    assert json_login(world.browser(), "pia", new)
    again = world.client.post(
        "/auth/password-reset", json={"email": email, "code": code, "password": "pia-Other-Pass-88"}
    )
    error(again, 400, "InvalidCode")
    # no hint whether an address has an account: same answer, and no mail
    unknown = world.client.post("/auth/codes", json={"email": "ghost@example.org", "purpose": "reset"})
    assert unknown.status_code == 202 and outbox_messages(world.node, "ghost@example.org") == []


# -- signed download links -----------------------------------------------------------------------------------------
def make_link(world: World, who: Account, item: str | None = None, asset: str = "data", **extra: Any) -> str:
    body = {"collection": "gf1-pms", "item": item or world.item, "asset": asset, **extra}
    response = world.client.post("/me/links", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return local(response.json()["href"])


def with_params(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    params = dict(parse_qsl(parts.query))
    params.update(changes)
    return f"{parts.path}?{urlencode(params)}"


def test_signed_link_works_without_credentials(world: World) -> None:
    sam = make_account(world.node, "sam")
    response = world.client.post(
        "/me/links", json={"collection": "gf1-pms", "item": world.item, "asset": "data"}, headers=sam.headers
    )
    assert response.status_code == 201
    expires = datetime.fromisoformat(response.json()["expires"])
    assert abs((expires - world.clock()).total_seconds() - 7 * 86400) <= 1
    link = local(response.json()["href"])
    assert set(dict(parse_qsl(urlsplit(link).query))) == {"u", "exp", "sig"}
    stranger = world.browser()  # no key, no cookie
    assert stranger.get(asset_path("gf1-pms", world.item, "data")).status_code == 401
    got = stranger.get(link)
    assert got.status_code == 200
    doc = world.client.get(f"/collections/gf1-pms/items/{world.item}").json()
    assert hashlib.sha256(got.content).hexdigest() == doc["assets"]["data"]["file:checksum"][4:]
    part = stranger.get(link, headers={"Range": "bytes=10-"})
    assert part.status_code == 206 and part.content == got.content[10:]
    history = world.client.get("/me/downloads", headers=sam.headers).json()["downloads"]
    assert [d["via"] for d in history] == ["link", "link"]  # the link's owner pays
    short = world.client.post(
        "/me/links",
        json={"collection": "gf1-pms", "item": world.item, "asset": "data", "days": 1},
        headers=sam.headers,
    )
    assert abs((datetime.fromisoformat(short.json()["expires"]) - world.clock()).total_seconds() - 86400) <= 1


def test_altered_signed_links_are_refused(world: World) -> None:
    tom = make_account(world.node, "tom")
    other = make_account(world.node, "tim")
    link = make_link(world, tom)
    params = dict(parse_qsl(urlsplit(link).query))
    sig = params["sig"]
    flipped = ("A" if sig[5] != "A" else "B").join((sig[:5], sig[6:]))
    other_items = [
        f["id"] for f in world.client.get("/collections/gf1-pms/items", params={"limit": 5}).json()["features"]
    ]
    second = next(i for i in other_items if i != world.item)
    bad = {
        "tampered sig": with_params(link, sig=flipped),
        "altered u": with_params(link, u=str(other.id)),
        "altered exp": with_params(link, exp=str(int(params["exp"]) + 86400)),
        "another asset": with_params(asset_path("gf1-pms", world.item, "metadata"), **params),
        "another item": with_params(asset_path("gf1-pms", second, "data"), **params),
        "another collection": with_params(asset_path("gf1-wfv", world.item, "data"), **params),
        "no u": f"{urlsplit(link).path}?exp={params['exp']}&sig={sig}",
        "non-ASCII sig": with_params(link, sig="é" + sig[1:]),
    }
    stranger = world.browser(raise_errors=False)
    for what, url in bad.items():
        response = stranger.get(url)
        assert response.status_code == 403, what
        assert response.json()["code"] == "InvalidSignedLink", what
    assert stranger.get(link).status_code == 200  # the genuine one still works


def test_expired_and_disabled_links_are_refused(world: World) -> None:
    una = make_account(world.node, "una")
    link = make_link(world, una)
    stranger = world.browser()
    assert stranger.get(link).status_code == 200
    world.client.patch(f"/admin/users/{una.id}", json={"status": "disabled"}, headers=world.admin.headers)
    assert "disabled" in error(stranger.get(link), 403, "InvalidSignedLink")
    world.client.patch(f"/admin/users/{una.id}", json={"status": "active"}, headers=world.admin.headers)
    assert stranger.get(link).status_code == 200
    world.clock.advance(7 * 86400 - 60)
    assert stranger.get(link).status_code == 200  # valid for days, not minutes
    world.clock.advance(61)
    assert "expired" in error(stranger.get(link), 403, "InvalidSignedLink")


def test_a_link_does_not_outlive_the_policy(world: World) -> None:
    val = make_account(world.node, "val")
    link = make_link(world, val)
    stranger = world.browser()
    access = world.node.accounts.access
    access.set_policy("gf1-pms", data_access="none", actor="tests")
    try:
        error(stranger.get(link), 403, "AccessDenied")
        refused = world.client.post(
            "/me/links", json={"collection": "gf1-pms", "item": world.item, "asset": "data"}, headers=val.headers
        )
        error(refused, 403, "AccessDenied")
    finally:
        access.reset_policy("gf1-pms", actor="tests")
    assert stranger.get(link).status_code == 200


# -- CSRF ---------------------------------------------------------------------------------------------------------
def page_token(browser: TestClient, path: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200
    match = CSRF_INPUT.search(page.text)
    assert match, page.text
    assert match.group(1) == browser.cookies["eonode_csrf"]
    return match.group(1)


def test_portal_login_needs_the_page_token(world: World) -> None:
    nina = make_account(world.node, "nina")
    browser = world.browser()
    token = page_token(browser, "/account/login")
    form = {"username": "nina", "password": nina.password}
    error(browser.post("/account/login", data=form, follow_redirects=False), 403, "CsrfFailed")
    other = page_token(world.browser(), "/account/login")  # a valid token, but of another browser
    error(browser.post("/account/login", data={**form, "csrf_token": other}, follow_redirects=False), 403, "CsrfFailed")
    odd = world.browser(raise_errors=False)
    odd.cookies.set("eonode_csrf", token)
    error(odd.post("/account/login", data={**form, "csrf_token": "é" + token[1:]}), 403, "CsrfFailed")
    assert "eonode_session" not in browser.cookies
    done = browser.post("/account/login", data={**form, "csrf_token": token, "next": "/me"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/me"
    assert browser.get("/me").json()["username"] == "nina"


def test_forged_double_submit_tokens_are_refused(world: World) -> None:
    browser = world.browser()
    browser.cookies.set("eonode_csrf", "forged.token")
    response = browser.post(
        "/account/login", data={"username": "nobody", "password": "x", "csrf_token": "forged.token"}
    )
    error(response, 403, "CsrfFailed")


def test_portal_register_needs_the_page_token(world: World) -> None:
    browser = world.browser()
    token = page_token(browser, "/account/register")
    email = "form@example.org"
    send = {"action": "send_code", "username": "formuser", "email": email}
    error(browser.post("/account/register", data=send), 403, "CsrfFailed")
    assert outbox_messages(world.node, email) == []
    assert browser.post("/account/register", data={**send, "csrf_token": token}).status_code == 200
    code = latest_code(world.node, email)
    form = {**send, "action": "register", "code": code, "password": "form-Pass-2024", "password2": "form-Pass-2024"}
    error(browser.post("/account/register", data={**form, "csrf_token": token + "x"}), 403, "CsrfFailed")
    assert user_named(world, "formuser") is None
    made = browser.post("/account/register", data={**form, "csrf_token": token})
    assert made.status_code == 201
    assert user_named(world, "formuser")["status"] == "active"  # type: ignore[index]


def test_portal_keys_and_logout_need_the_page_token(world: World) -> None:
    olga = make_account(world.node, "olga")
    browser = world.browser()
    json_login(browser, "olga", olga.password)
    token = page_token(browser, "/account")

    def key_count() -> int:
        return len(world.node.accounts.store.list_keys(olga.id))

    before = key_count()
    error(browser.post("/account/keys", data={"name": "no token"}), 403, "CsrfFailed")
    error(browser.post("/account/keys", data={"name": "bad token", "csrf_token": "x" + token}), 403, "CsrfFailed")
    assert key_count() == before
    made = browser.post("/account/keys", data={"name": "from the page", "csrf_token": token})
    assert made.status_code == 201 and key_count() == before + 1
    secret = re.search(r'<code id="new-key">(eon_[^<]+)</code>', made.text)
    assert secret
    assert world.client.get("/me", headers={"Authorization": f"Bearer {secret.group(1)}"}).json()["id"] == olga.id

    error(browser.post("/account/logout", data={}), 403, "CsrfFailed")
    assert browser.get("/me").status_code == 200  # still logged in
    out = browser.post("/account/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert browser.get("/me").status_code == 401


def test_cookie_json_writes_need_the_csrf_header(world: World) -> None:
    pete = make_account(world.node, "pete")
    browser = world.browser()
    token = json_login(browser, "pete", pete.password)
    count = len(browser.get("/me/keys").json()["keys"])
    error(browser.post("/me/keys", json={"name": "no header"}), 403, "CsrfFailed")
    error(browser.post("/me/keys", json={"name": "wrong"}, headers={"X-CSRF-Token": token[::-1]}), 403, "CsrfFailed")
    odd = world.browser(raise_errors=False)
    odd.cookies = browser.cookies
    non_ascii = {"X-CSRF-Token": "é".encode() + token.encode()[1:]}  # type: ignore[dict-item]
    error(odd.post("/me/keys", json={"name": "non-ASCII"}, headers=non_ascii), 403, "CsrfFailed")
    error(browser.patch("/me", json={"organisation": "Evil"}), 403, "CsrfFailed")
    error(browser.delete(f"/me/keys/{pete.key_id}"), 403, "CsrfFailed")
    assert len(browser.get("/me/keys").json()["keys"]) == count
    assert browser.get("/me").json()["organisation"] == ""
    made = browser.post("/me/keys", json={"name": "with header"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201 and made.json()["secret"].startswith("eon_")
    # an API key is no ambient credential: its writes need no token, even with cookies around
    by_key = browser.post("/me/keys", json={"name": "by key"}, headers=pete.headers)
    assert by_key.status_code == 201
    assert browser.patch("/me", json={"organisation": "Pete Ltd"}, headers=pete.headers).status_code == 200


def test_revoked_key_is_refused(world: World) -> None:
    rex = make_account(world.node, "rex")
    made = world.client.post("/me/keys", json={"name": "short-lived"}, headers=rex.headers).json()
    spare = {"Authorization": f"Bearer {made['secret']}"}
    assert world.client.get("/me", headers=spare).status_code == 200
    assert world.client.delete(f"/me/keys/{made['id']}", headers=rex.headers).status_code == 204
    assert "revoked" in error(world.client.get("/me", headers=spare), 401, "Unauthorized")
    listed = {k["id"]: k["revoked"] for k in world.client.get("/me/keys", headers=rex.headers).json()["keys"]}
    assert listed == {rex.key_id: False, made["id"]: True}


# -- quota --------------------------------------------------------------------------------------------------------
def test_requests_per_minute_quota(world: World) -> None:
    quinn = make_account(world.node, "quinn")
    admin = world.admin.headers
    set_limit = world.client.put("/admin/quotas/user", json={"requests_per_minute": 5}, headers=admin)
    assert set_limit.status_code == 200 and set_limit.json()["user"]["requests_per_minute"] == 5
    try:
        world.clock.next_minute()
        for n in range(5):
            assert world.client.get("/collections", headers=quinn.headers).status_code == 200, n
            status = world.client.get("/me/quota", headers=quinn.headers)  # status checks are free
            assert status.status_code == 200
            assert status.json()["requests_per_minute"]["used"] == n + 1
        over = world.client.get("/collections", headers=quinn.headers)
        description = error(over, 429, "QuotaExceeded")
        assert "5 requests per minute" in description and "resets at" in description
        assert over.headers["x-quota-limit"] == "requests-per-minute=5"
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert datetime.fromisoformat(over.headers["x-quota-reset"]) > world.clock()
        status = world.client.get("/me/quota", headers=quinn.headers)
        assert status.status_code == 200
        rpm = status.json()["requests_per_minute"]
        assert (rpm["limit"], rpm["remaining"]) == (5, 0)
        assert world.client.get("/collections", headers=admin).status_code == 200  # others are not affected
        world.clock.next_minute()
        assert world.client.get("/collections", headers=quinn.headers).status_code == 200
    finally:
        world.client.put("/admin/quotas/user", json={"requests_per_minute": 1200}, headers=admin)
