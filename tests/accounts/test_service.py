"""Registration with e-mailed codes, verification, resend limits and passwords (both backends)."""

from __future__ import annotations

import pytest

from eonode.accounts.model import Role, UserStatus
from eonode.errors import (
    AccountInactive,
    AlreadyExists,
    InvalidCode,
    InvalidCredentials,
    InvalidParameter,
    TooManyRequests,
    WeakPassword,
)

from .conftest import PASSWORD, Env, assert_wait

EMAIL = "ada@example.org"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def register(env: Env, code: str | None = None, *, username: str = "ada", email: str = EMAIL, **kw: object):
    return env.users.register(username=username, email=email, password=PASSWORD, password2=PASSWORD, code=code, **kw)


# -- registration -------------------------------------------------------------------------------------
def test_register_with_a_code_makes_an_active_account(env: Env) -> None:
    sent = env.users.send_code("Ada@Example.org ", "register", ip="192.0.2.1")
    assert (sent.email, sent.expires_in, sent.resend_after) == (EMAIL, 600, 60)
    [(to, subject, body)] = env.mailer.sent
    code = env.mailer.code_for(EMAIL)
    assert to == EMAIL and code in subject and "valid for 10 minutes" in body

    user = register(env, code, full_name=" Ada L. ", organisation="CRESDA", country="cn")
    assert user.status is UserStatus.ACTIVE and user.role is Role.USER
    assert (user.full_name, user.organisation, user.country) == ("Ada L.", "CRESDA", "CN")
    assert user.verified_at == env.clock.now
    assert env.users.login("ada", PASSWORD).user.id == user.id
    assert {"code.sent", "account.register", "login.success"} <= set(env.events("*"))
    with pytest.raises(InvalidCode, match="no valid code"):  # a code works once
        register(env, code, username="ada2", email=EMAIL)


def test_register_without_a_code_is_pending_until_verified(env: Env) -> None:
    user = register(env)
    assert user.status is UserStatus.PENDING and user.verified_at is None
    code = env.mailer.code_for(EMAIL)  # the code was mailed by register itself
    with pytest.raises(AccountInactive, match="verify"):
        env.users.login("ada", PASSWORD)
    with pytest.raises(InvalidCredentials):  # a wrong password says nothing about the state
        env.users.login("ada", PASSWORD + "x")

    env.clock.advance(minutes=3)
    verified = env.users.verify(EMAIL.upper(), code)
    assert verified.status is UserStatus.ACTIVE and verified.verified_at == env.clock.now
    assert env.users.login(EMAIL, PASSWORD).user.id == user.id
    assert "account.verified" in env.events("account.*")
    with pytest.raises(AlreadyExists, match="already verified"):
        env.users.verify(EMAIL, code)
    with pytest.raises(InvalidCode):
        env.users.verify("nobody@example.org", code)


def test_wrong_codes_count_attempts_and_void_the_code(make_env) -> None:
    env = make_env(code_attempts=3)
    env.users.send_code(EMAIL, "register")
    code = env.mailer.code_for(EMAIL)
    with pytest.raises(InvalidCode, match="2 attempts left"):
        register(env, wrong(code))
    with pytest.raises(InvalidCode, match="1 attempt left"):
        register(env, " " + wrong(code))
    with pytest.raises(InvalidCode, match="now void"):
        register(env, "000000" if code != "000000" else "111111")
    with pytest.raises(InvalidCode, match="no valid code"):  # the right code no longer helps
        register(env, code)
    assert env.store.find_user("ada") is None


def test_wrong_codes_void_a_pending_verification(make_env) -> None:
    env = make_env(code_attempts=2)
    register(env)
    code = env.mailer.code_for(EMAIL)
    with pytest.raises(InvalidCode, match="1 attempt left"):
        env.users.verify(EMAIL, wrong(code))
    with pytest.raises(InvalidCode, match="void"):
        env.users.verify(EMAIL, wrong(code))
    with pytest.raises(InvalidCode):
        env.users.verify(EMAIL, code)
    assert env.store.find_user(EMAIL).status is UserStatus.PENDING
    env.clock.advance(seconds=61)  # a new code makes it verifiable again
    env.users.send_code(EMAIL, "register")
    assert env.users.verify(EMAIL, env.mailer.code_for(EMAIL)).status is UserStatus.ACTIVE


def test_a_code_expires_after_code_minutes(make_env) -> None:
    env = make_env(code_minutes=5)
    env.users.send_code("early@example.org", "register")
    env.users.send_code("late@example.org", "register")
    early, late = env.mailer.code_for("early@example.org"), env.mailer.code_for("late@example.org")
    env.clock.advance(minutes=5, seconds=-1)
    assert register(env, early, username="early", email="early@example.org").status is UserStatus.ACTIVE
    env.clock.advance(seconds=1)
    with pytest.raises(InvalidCode, match="expired"):
        register(env, late, username="late", email="late@example.org")
    assert env.store.find_user("late") is None


def test_a_second_code_within_the_resend_wait_is_refused(env: Env) -> None:
    env.users.send_code(EMAIL, "register")
    first = env.mailer.code_for(EMAIL)
    with pytest.raises(TooManyRequests) as refused:
        env.users.send_code(EMAIL, "register")
    assert_wait(refused.value, 60)
    assert refused.value.limit == "resend-after=60s"
    env.clock.advance(seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        env.users.send_code(EMAIL, "register")
    assert_wait(refused.value, 30)
    assert len(env.mailer.sent) == 1

    env.clock.advance(seconds=30)
    env.users.send_code(EMAIL, "register")
    second = env.mailer.code_for(EMAIL)
    assert len(env.mailer.sent) == 2
    env.users.send_code("other@example.org", "register")  # the wait is per address
    if first != second:  # a new code replaces the earlier one
        with pytest.raises(InvalidCode):
            register(env, first)
    assert register(env, second).status is UserStatus.ACTIVE


def test_codes_per_hour_are_limited(make_env) -> None:
    env = make_env(code_sends_per_hour=3, code_resend_seconds=60)
    for _ in range(3):
        env.users.send_code(EMAIL, "register")
        env.clock.advance(seconds=60)
    with pytest.raises(TooManyRequests) as refused:
        env.users.send_code(EMAIL, "register")
    assert refused.value.limit == "codes-per-hour=3"
    assert_wait(refused.value, 3600 - 180)  # until the first of the three is an hour old
    env.clock.advance(seconds=3600 - 180 - 1)
    with pytest.raises(TooManyRequests, match="in the last hour"):
        env.users.send_code(EMAIL, "register")
    env.clock.advance(seconds=refused.value.retry_after - (3600 - 180 - 1))  # waiting Retry-After is enough
    env.users.send_code(EMAIL, "register")
    assert len(env.mailer.sent) == 4
    # reset codes have their own budget
    env.add("ada")
    env.users.send_code(EMAIL, "reset")
    assert len(env.mailer.sent) == 5


def test_duplicate_account_name_or_address_is_refused(env: Env) -> None:
    env.add("ada")  # ada@example.org
    with pytest.raises(AlreadyExists, match="account name"):
        register(env, username="ADA", email="someone@example.org")
    with pytest.raises(AlreadyExists, match="e-mail address"):
        register(env, username="someone", email="ADA@example.org")
    assert env.mailer.sent == []  # refused before any code went out
    assert env.store.count_users() == 1


@pytest.mark.parametrize(
    ("password", "password2", "why"),
    [
        ("correct horse 42", "correct horse 43", "differ"),
        ("sh0rt!", "sh0rt!", "at least 8"),
        ("abababababab", None, "too few different"),
        ("Weak.User", None, "account name"),
        ("weak.user@example.org", None, "account name or e-mail"),
        ("x" * 1020 + "abcde", None, "longer than 1024"),
    ],
)
def test_weak_or_mismatched_passwords_are_refused(env: Env, password: str, password2: str | None, why: str) -> None:
    with pytest.raises(WeakPassword, match=why):
        env.users.register(username="weak.user", email="weak.user@example.org", password=password, password2=password2)
    assert env.store.find_user("weak.user") is None and env.mailer.sent == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "1abc"),
        ("username", "has space"),
        ("username", "a" * 33),
        ("username", "ümlaut"),
        ("email", "no-at-sign"),
        ("email", "two@@example.org"),
        ("email", "x@localhost"),
        ("email", "x@example.c"),
        ("email", "a b@example.org"),
        ("country", "China"),
        ("country", "C1"),
        ("country", "c"),
    ],
)
def test_bad_account_name_address_or_country_is_refused(env: Env, field: str, value: str) -> None:
    given = {"username": "valid.name", "email": "valid@example.org", "country": "BR", field: value}
    with pytest.raises(InvalidParameter):
        env.users.register(password=PASSWORD, password2=PASSWORD, **given)
    assert env.store.count_users() == 0 and env.mailer.sent == []


def test_a_stale_pending_registration_frees_its_name(env: Env) -> None:
    register(env, username="bob", email="bob@example.org")
    env.clock.advance(hours=23)
    with pytest.raises(AlreadyExists, match="account name"):  # a fresh registration holds its name
        register(env, username="bob", email="robert@example.org")
    env.clock.advance(hours=1, seconds=1)
    taken = register(env, username="bob", email="robert@example.org")  # a day later it does not
    assert taken.email == "robert@example.org" and taken.status is UserStatus.PENDING
    assert env.store.find_user("bob@example.org") is None
    # the first owner's code is for an address that no longer registers anything
    with pytest.raises(InvalidCode):
        env.users.verify("bob@example.org", env.mailer.code_for("bob@example.org"))
    env.users.verify("robert@example.org", env.mailer.code_for("robert@example.org"))


def test_registering_the_same_address_again_replaces_the_pending_one(env: Env) -> None:
    first = register(env, username="carol", email="carol@example.org")
    env.clock.advance(seconds=61)
    second = register(env, username="caroline", email="carol@example.org")
    assert second.username == "caroline" and env.store.find_user("carol") is None
    assert first.created < second.created
    env.users.verify("carol@example.org", env.mailer.code_for("carol@example.org"))
    assert env.users.login("caroline", PASSWORD).user.id == second.id


def test_registering_again_within_the_resend_wait_loses_nothing(env: Env) -> None:
    register(env, username="dora", email="dora@example.org")
    env.clock.advance(seconds=5)
    with pytest.raises(TooManyRequests) as refused:
        register(env, username="dora", email="dora@example.org")
    assert_wait(refused.value, 55)
    # The first registration and its code are intact: the code already received still verifies it.
    assert env.users.verify("dora@example.org", env.mailer.code_for("dora@example.org")).status is UserStatus.ACTIVE


def test_an_active_account_is_never_freed(env: Env) -> None:
    env.add("dave")
    env.clock.advance(days=30)
    with pytest.raises(AlreadyExists):
        register(env, username="dave", email="other@example.org")
    with pytest.raises(AlreadyExists):
        register(env, username="david", email="dave@example.org")
    assert env.users.login("dave", PASSWORD).user.username == "dave"


# -- passwords ----------------------------------------------------------------------------------------
def test_reset_password_with_a_code(env: Env) -> None:
    user = env.add("ada")
    session = env.users.login("ada", PASSWORD).session_token
    env.users.send_code(EMAIL, "reset")
    code = env.mailer.code_for(EMAIL)
    assert "reset your password" in env.mailer.sent[-1][2]
    with pytest.raises(WeakPassword):
        env.users.reset_password(EMAIL, code, "new pass 1", "new pass 2")
    with pytest.raises(InvalidCode, match="4 attempts left"):
        env.users.reset_password(EMAIL, wrong(code), "new pass 1", "new pass 1")

    done = env.users.reset_password(EMAIL, code, "new pass 1", "new pass 1")
    assert done.id == user.id
    assert env.users.session_principal(session, "192.0.2.1") is None  # every session ended
    with pytest.raises(InvalidCredentials):
        env.users.login("ada", PASSWORD)
    env.users.login("ada", "new pass 1")
    assert "password.reset" in env.events("password.*")
    with pytest.raises(InvalidCode):  # used once
        env.users.reset_password(EMAIL, code, "new pass 3", "new pass 3")


def test_reset_for_a_pending_account_also_verifies_it(env: Env) -> None:
    register(env)
    env.clock.advance(seconds=61)
    env.users.send_code(EMAIL, "reset")
    user = env.users.reset_password(EMAIL, env.mailer.code_for(EMAIL), "new pass 1", "new pass 1")
    assert user.status is UserStatus.ACTIVE
    env.users.login("ada", "new pass 1")


def test_reset_for_an_unknown_or_disabled_address_sends_nothing(env: Env) -> None:
    for _ in range(3):  # no resend limit either: nothing is stored that would show the difference
        sent = env.users.send_code("nobody@example.org", "reset")
        assert sent.email == "nobody@example.org" and sent.expires_in == 600
    ghost = env.add("ghost")
    env.users.set_status(ghost.id, UserStatus.DISABLED, actor="root")
    env.users.send_code("ghost@example.org", "reset")
    assert env.mailer.sent == []
    assert env.events("password.reset_unknown").count("password.reset_unknown") == 4
    with pytest.raises(InvalidCode):
        env.users.reset_password("nobody@example.org", "123456", "new pass 1", "new pass 1")
    with pytest.raises(InvalidCode):
        env.users.reset_password("ghost@example.org", "123456", "new pass 1", "new pass 1")


def test_change_password_ends_every_session(env: Env) -> None:
    user = env.add("ada")
    one = env.users.login("ada", PASSWORD).session_token
    two = env.users.login(EMAIL, PASSWORD).session_token
    with pytest.raises(InvalidCredentials):
        env.users.change_password(user, "not it", "new pass 1", "new pass 1")
    assert "password.change_failed" in env.events("password.*")
    with pytest.raises(InvalidParameter, match="differ"):
        env.users.change_password(user, PASSWORD, PASSWORD, PASSWORD)
    with pytest.raises(WeakPassword):
        env.users.change_password(user, PASSWORD, "new pass 1", "new pass 2")
    assert env.users.session_principal(one, "") is not None  # refusals change nothing

    env.users.change_password(user, PASSWORD, "new pass 1", "new pass 1")
    assert env.users.session_principal(one, "") is None
    assert env.users.session_principal(two, "") is None
    with pytest.raises(InvalidCredentials):
        env.users.login("ada", PASSWORD)
    assert env.users.login("ada", "new pass 1").user.id == user.id
    assert "password.changed" in env.events("password.*")
