"""English and Chinese: language negotiation, complete catalogs, translated pages and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient

import eonode.api.account_pages as account_pages
from eonode.api.app import create_app
from eonode.node import Node
from eonode.portal import i18n
from eonode.settings import load_settings

TEMPLATES = Path(account_pages.__file__).parents[1] / "portal" / "templates"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "en"),
        ("zh", None, None, "zh"),
        ("ZH-cn", "en", "en", "zh"),
        (None, "zh", "en-GB,en;q=0.9", "zh"),
        ("fr", None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, None, "de-DE, zh-TW;q=0.5", "zh"),
        (None, "xx", "de", "en"),
        (None, None, "zh;q=bad", "zh"),
    ],
)
def test_negotiation(query: str | None, cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.negotiate(query, cookie, accept) == expected


def _template_messages() -> set[str]:
    found = extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", "jinja2")], options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
    )
    return {m if isinstance(m, str) else m[0] for _file, _line, m, _comments, _ctx in found}


def _page_messages() -> set[str]:
    source = Path(account_pages.__file__).read_text()
    notices = re.findall(r'notice=\(?\s*"([^"]+)"', source) + re.findall(r'\(\s*"([^"]*%\(\w+\)s[^"]*)",', source)
    from eonode.portal.views import _i18n_strings

    return set(notices) | set(account_pages.TITLES.values()) | set(_i18n_strings("en").values())


def test_every_message_of_the_pages_has_a_chinese_text() -> None:
    zh = i18n.translations("zh")
    wanted = _template_messages() | _page_messages()
    assert len(wanted) > 50
    missing = sorted(m for m in wanted if zh.gettext(m) == m)
    assert not missing, f"no Chinese for: {missing}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    node = Node.open(load_settings(data_dir=tmp_path_factory.mktemp("i18n")))
    node.accounts.users.add_user("lihua", "li.hua@example.cn", "Pearl-river-91")
    with TestClient(create_app(node)) as c:
        yield c
    node.close()


def test_pages_switch_language_and_remember_it(client: TestClient) -> None:
    english = client.get("/account/login")
    assert '<html lang="en">' in english.text and ">Log in</h1>" in english.text
    chinese = client.get("/account/login?lang=zh")
    assert '<html lang="zh-CN">' in chinese.text and ">登录</h1>" in chinese.text and "忘记密码？" in chinese.text
    assert chinese.headers["content-language"] == "zh" and client.cookies.get(i18n.COOKIE) == "zh"
    remembered = client.get("/account/register")  # no ?lang=: the cookie decides
    assert "发送验证码" in remembered.text and "确认密码" in remembered.text
    # Every page links to the other language, keeping its own address.
    assert 'href="/account/register?lang=en"' in remembered.text
    assert ">English</a>" in remembered.text
    back = client.get("/account/register?lang=en")
    assert "Send code" in back.text and client.cookies.get(i18n.COOKIE) == "en"


def test_browser_language_and_translated_errors(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/account/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert ">登录</h1>" in page.text
    token = client.cookies.get("eonode_csrf")
    wrong = client.post(
        "/account/login",
        data={"csrf_token": token, "username": "lihua", "password": "not-it-at-all"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert wrong.status_code == 401 and "账号或密码不正确" in wrong.text
    code = client.post(
        "/account/register",
        data={"csrf_token": token, "action": "send_code", "username": "wang", "email": "not-an-address"},
        headers={"Accept-Language": "zh-CN"},
    )
    # The general meaning in Chinese, then the node's detail.
    assert code.status_code == 400 and "填写的内容无效（" in code.text and "not a valid e-mail address" in code.text


def test_dates_and_numbers_follow_the_language() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)
    assert i18n.fmt_date("zh", when, "long") == "2026年3月5日"
    assert i18n.fmt_date("en", when, "long") == "March 5, 2026"
    assert i18n.fmt_decimal("en", 1234567.5) == "1,234,567.5"
    assert i18n.gettext("zh", "A new code was sent to %(email)s.", email="a@b.cn") == "新的验证码已发送至 a@b.cn。"
