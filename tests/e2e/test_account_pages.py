"""The account pages in a real browser: register with an e-mailed code (real SMTP), log in,
create and revoke an API key, log out — keyboard-usable forms with labels, CSRF-protected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eonode.demo.synthetic import populate
from eonode.node import Node
from eonode.settings import load_settings
from tests.e2e.conftest import Visit
from tests.mailsink import MailSink, running_sink
from tests.server.conftest import NodeProcess, start_node

pytestmark = [pytest.mark.server, pytest.mark.e2e]
PASSWORD = "Loess-plateau-Crane-27"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    yield from running_sink()


@pytest.fixture(scope="module")
def node(smtp: tuple[MailSink, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    data_dir: Path = tmp_path_factory.mktemp("browser-node")
    opened = Node.open(load_settings(data_dir=data_dir))
    populate(opened.catalog, opened.blobs, 40, seed=8)
    opened.close()
    proc = start_node(
        data_dir,
        env={
            "EONODE_SMTP_HOST": "127.0.0.1",
            "EONODE_SMTP_PORT": str(smtp[1]),
            "EONODE_DEFAULT_DATA_ACCESS": "registered",
        },
    )
    yield proc
    proc.stop()


def test_register_log_in_and_manage_keys(visit: Visit, node: NodeProcess, smtp: tuple[MailSink, int]) -> None:
    from playwright.sync_api import expect

    sink, _port = smtp
    page = visit.page
    page.goto(f"{node.url}/", wait_until="load")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Account name").fill("wangfang")
    page.get_by_label("E-mail").fill("wang.fang@example.cn")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("A code was sent to wang.fang@example.cn")
    visit.shot("register")
    code = sink.code("wang.fang@example.cn")
    # Typed fields survive the "Send code" round trip; the rest is filled by keyboard.
    expect(page.get_by_label("Account name")).to_have_value("wangfang")
    page.get_by_label("Verification code").fill(code)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Repeat the password").press("Enter")  # the default button: Register
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{node.url}/account")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    cookies = {c["name"]: c for c in visit.context.cookies()}
    assert cookies["eonode_session"]["httpOnly"] and cookies["eonode_session"]["sameSite"] == "Lax"

    page.get_by_label("Name of a new key").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("eon_")
    visit.shot("my-account")
    me = httpx.get(f"{node.url}/me", headers={"Authorization": f"Bearer {secret}"}, trust_env=False)
    assert me.status_code == 200 and me.json()["username"] == "wangfang"

    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("cell", name="revoked")).to_be_visible()
    assert (
        httpx.get(f"{node.url}/me", headers={"Authorization": f"Bearer {secret}"}, trust_env=False).status_code == 401
    )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert "eonode_session" not in {c["name"] for c in visit.context.cookies()}


def test_wrong_password_and_a_forged_form(visit: Visit, node: NodeProcess) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{node.url}/account/login")
    page.get_by_label("Account name or e-mail").fill("nobody")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    # A page elsewhere cannot post our forms: without the page's token the node refuses.
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'forged.token'")
    page.get_by_label("Password").fill("whatever-it-is")
    with page.expect_response(lambda r: r.url.endswith("/account/login")) as response:
        page.get_by_role("button", name="Log in").click()
    assert response.value.status == 403
    assert "CSRF" in page.content()


def test_switch_to_chinese_and_back(visit: Visit, node: NodeProcess) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{node.url}/account/login")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("banner").get_by_role("link", name="注册").click()  # remembered on the next page
    expect(page.get_by_role("button", name="发送验证码")).to_be_visible()
    visit.shot("register-zh")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
