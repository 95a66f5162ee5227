"""The accounts service: registration with e-mailed codes, login and sessions, API keys, passwords.

Every security event lands in the audit log. Time comes from ``clock`` so tests can move it.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eonode.accounts import passwords, tokens
from eonode.accounts.administration import Administration
from eonode.accounts.model import ApiKey, CodePurpose, Principal, Role, User, UserStatus
from eonode.accounts.service_base import Clock, utcnow
from eonode.errors import (
    AccountInactive,
    AlreadyExists,
    InvalidCode,
    InvalidCredentials,
    InvalidParameter,
    LoginThrottled,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

PENDING_HOLD = timedelta(days=1)  # an unverified registration keeps its account name this long
LOGIN_WINDOW = 600  # seconds: failed logins per client address are counted per 10 minutes
LOGIN_PER_ADDRESS = 30


@dataclass(frozen=True, slots=True)
class CodeSent:
    email: str
    expires_in: int
    resend_after: int


@dataclass(frozen=True, slots=True)
class Login:
    user: User
    session_token: str
    expires: datetime


class Accounts(Administration):
    """Registration, codes, passwords, logins and sessions, API keys (and, inherited, administration)."""

    # -- verification codes -------------------------------------------------------------------------------
    def send_code(self, email: str, purpose: CodePurpose, *, ip: str = "") -> CodeSent:
        """E-mail a fresh six-digit code, within the resend limits."""
        email = self.clean_email(email)
        s, now = self.settings, self.clock()
        expires_in = int(s.code_minutes * 60)
        if purpose == "reset":
            user = self.store.find_user(email)
            if user is None or user.email != email or user.status is UserStatus.DISABLED:
                self.store.audit("password.reset_unknown", actor=email, ip=ip, now=now)
                return CodeSent(email, expires_in, int(s.code_resend_seconds))  # no hint whether it exists
        self._check_send_limits(email, purpose)
        code = tokens.new_code()
        self.mailer.send(email, *self._code_mail(code, purpose))  # before storing: a failed send costs nothing
        self.store.add_code(
            email,
            purpose,
            tokens.code_hash(self.secret, email, purpose, code),
            now=now,
            expires=now + timedelta(seconds=expires_in),
        )
        self.store.audit("code.sent", actor=email, ip=ip, now=now, purpose=purpose)
        return CodeSent(email, expires_in, int(s.code_resend_seconds))

    def _check_send_limits(self, email: str, purpose: CodePurpose) -> None:
        """Refuse a new code within the resend wait or past the hourly limit (TooManyRequests)."""
        s, now = self.settings, self.clock()
        sent = self.store.codes_sent_since(email, purpose, now - timedelta(hours=1))
        if len(sent) >= s.code_sends_per_hour:
            wait = (sent[0] + timedelta(hours=1) - now).total_seconds()
            raise TooManyRequests(
                f"{len(sent)} codes were sent to {email} in the last hour (the limit); "
                f"try again in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
                limit=f"codes-per-hour={s.code_sends_per_hour}",
            )
        if sent and (now - sent[-1]).total_seconds() < s.code_resend_seconds:
            wait = s.code_resend_seconds - (now - sent[-1]).total_seconds()
            raise TooManyRequests(
                f"a code was sent to {email} moments ago; ask for another in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
                limit=f"resend-after={int(s.code_resend_seconds)}s",
            )

    def _code_mail(self, code: str, purpose: CodePurpose) -> tuple[str, str]:
        title, minutes = self.settings.title, f"{self.settings.code_minutes:g}"
        what = "complete your registration" if purpose == "register" else "reset your password"
        what_zh = "完成注册" if purpose == "register" else "重置密码"
        subject = f"{title}: your verification code {code}"
        body = (
            f"Your verification code is {code}\n\nEnter it to {what}. It is valid for {minutes} minutes.\n"
            f"If you did not ask for it, ignore this message.\n\n"
            f"您的验证码是 {code}，用于{what_zh}，{minutes} 分钟内有效。\n"
        )
        return subject, body

    def _consume_code(self, email: str, purpose: CodePurpose, code: str) -> None:
        row = self.store.live_code(email, purpose)
        now = self.clock()
        if row is None:
            raise InvalidCode("no valid code was sent to this address; ask for a new one")
        if now >= row.expires:
            raise InvalidCode("the code has expired; ask for a new one")
        if row.attempts >= self.settings.code_attempts:
            raise InvalidCode("the code was entered wrongly too often; ask for a new one")
        given = code.strip()
        if hmac.compare_digest(row.code_hash, tokens.code_hash(self.secret, email, purpose, given)):
            self.store.code_attempt(row.id, used_at=now)
            return
        left = self.settings.code_attempts - row.attempts - 1
        self.store.code_attempt(row.id, used_at=now if left <= 0 else None)
        raise InvalidCode(
            f"the code is wrong; {left} attempt{'s' if left != 1 else ''} left"
            if left > 0
            else "the code is wrong and is now void; ask for a new one"
        )

    # -- registration --------------------------------------------------------------------------------------
    def register(
        self,
        *,
        username: str,
        email: str,
        password: str,
        password2: str | None = None,
        code: str | None = None,
        full_name: str = "",
        organisation: str = "",
        country: str = "",
        ip: str = "",
    ) -> User:
        """Create an account. With ``code`` (sent before by send_code) it is active at once;
        without, it is pending and a code is e-mailed for :meth:`verify`."""
        username, email = self.clean_username(username), self.clean_email(email)
        country = self.clean_country(country)
        self._password_rules(password, password2, username, email)
        if code is None:
            self._check_send_limits(email, "register")  # before anything changes: a refusal loses nothing
        self._free_stale_pending(username, email)
        if code is not None:
            self._consume_code(email, "register", code)
        user = self.store.create_user(
            username=username,
            email=email,
            password_hash=passwords.hash_password(password),
            role=Role.USER,
            status=UserStatus.ACTIVE if code is not None else UserStatus.PENDING,
            now=self.clock(),
            full_name=full_name.strip()[:200],
            organisation=organisation.strip()[:200],
            country=country,
        )
        self.store.audit("account.register", actor=username, subject=username, ip=ip, now=self.clock(), email=email)
        if code is None:
            try:
                self.send_code(email, "register", ip=ip)
            except Exception:
                self.store.delete_user(user.id)  # nothing half-made: register again later
                raise
        return user

    def _free_stale_pending(self, username: str, email: str) -> None:
        """A registration nobody verified does not hold its name or address forever."""
        now = self.clock()
        for login in (email, username):
            user = self.store.find_user(login)
            if user is None or user.status is not UserStatus.PENDING:
                continue
            if user.email == email or now - user.created > PENDING_HOLD:
                self.store.delete_user(user.id)

    def verify(self, email: str, code: str, *, ip: str = "") -> User:
        email = self.clean_email(email)
        user = self.store.find_user(email)
        if user is None or user.email != email:
            raise InvalidCode("no registration is waiting for this address")
        if user.status is not UserStatus.PENDING:
            raise AlreadyExists("this account is already verified; log in")
        self._consume_code(email, "register", code)
        user = self.store.update_user(user.id, status=UserStatus.ACTIVE, verified_at=self.clock())
        self.store.audit("account.verified", actor=user.username, subject=user.username, ip=ip, now=self.clock())
        return user

    # -- passwords --------------------------------------------------------------------------------------------
    def reset_password(self, email: str, code: str, password: str, password2: str | None, *, ip: str = "") -> User:
        email = self.clean_email(email)
        user = self.store.find_user(email)
        if user is None or user.email != email or user.status is UserStatus.DISABLED:
            raise InvalidCode("no valid code was sent to this address; ask for a new one")
        self._password_rules(password, password2, user.username, email)
        self._consume_code(email, "reset", code)
        self.store.set_password(user.id, passwords.hash_password(password))
        if user.status is UserStatus.PENDING:  # the code proves the address
            self.store.update_user(user.id, status=UserStatus.ACTIVE, verified_at=self.clock())
        self.store.audit("password.reset", actor=user.username, subject=user.username, ip=ip, now=self.clock())
        return self.store.get_user(user.id)

    def change_password(self, user: User, current: str, password: str, password2: str | None, *, ip: str = "") -> None:
        creds = self.store.credentials(user.username)
        if creds is None or not passwords.verify_password(creds.password_hash, current):
            self.store.audit("password.change_failed", actor=user.username, ip=ip, now=self.clock())
            raise InvalidCredentials("the current password is not correct")
        if password == current:
            raise InvalidParameter("the new password must differ from the current one")
        self._password_rules(password, password2, user.username, user.email)
        self.store.set_password(user.id, passwords.hash_password(password))  # also ends every session
        self.store.audit("password.changed", actor=user.username, subject=user.username, ip=ip, now=self.clock())

    # -- login and sessions ---------------------------------------------------------------------------------------
    def login(self, login: str, password: str, *, ip: str = "", user_agent: str = "") -> Login:
        now = self.clock()
        window = int(now.timestamp()) // LOGIN_WINDOW
        if self.store.requests_in(f"login-fail:{ip}", window) >= LOGIN_PER_ADDRESS:
            self.store.audit("login.throttled", actor=login[:100], ip=ip, now=now)
            retry = LOGIN_WINDOW - int(now.timestamp()) % LOGIN_WINDOW
            raise LoginThrottled(f"too many failed logins from your address; try again in {retry} s", retry_after=retry)
        creds = self.store.credentials(login)
        if creds is None:
            passwords.verify_password(passwords.dummy_hash(), password)
            self._failed(login, ip, window, reason="unknown account")
            raise InvalidCredentials()
        user = creds.user
        if creds.locked_until is not None and creds.locked_until > now:
            wait = int((creds.locked_until - now).total_seconds()) + 1
            self.store.audit("login.locked", actor=user.username, subject=user.username, ip=ip, now=now)
            raise LoginThrottled(
                f"this account is locked after {creds.failed_logins} failed logins; try again in {wait} s",
                retry_after=wait,
                reset=creds.locked_until.isoformat(),
            )
        if not passwords.verify_password(creds.password_hash, password):
            failures = creds.failed_logins + 1
            lock = None
            if failures >= self.settings.login_failures:
                seconds = min(3600.0, self.settings.login_lock_seconds * 2 ** (failures - self.settings.login_failures))
                lock = now + timedelta(seconds=seconds)
            self.store.record_login(user.id, ok=False, now=now, locked_until=lock)
            self._failed(user.username, ip, window, reason="wrong password", failures=failures, locked=lock is not None)
            raise InvalidCredentials()
        if user.status is UserStatus.PENDING:
            raise AccountInactive("verify your e-mail address first (a code was sent when you registered)")
        if user.status is UserStatus.DISABLED:
            self.store.audit("login.disabled", actor=user.username, subject=user.username, ip=ip, now=now)
            raise AccountInactive("this account is disabled; contact the node's administrators")
        if passwords.needs_rehash(creds.password_hash):
            self.store.set_password(user.id, passwords.hash_password(password), must_change=user.must_change_password)
        self.store.record_login(user.id, ok=True, now=now)
        token = tokens.new_session_token()
        expires = now + timedelta(days=self.settings.session_days)
        self.store.add_session(
            tokens.sha256_hex(token), user.id, now=now, expires=expires, ip=ip, user_agent=user_agent
        )
        self.store.audit("login.success", actor=user.username, subject=user.username, ip=ip, now=now)
        return Login(self.store.get_user(user.id), token, expires)

    def _failed(self, who: str, ip: str, window: int, **detail: Any) -> None:
        self.store.count_request(f"login-fail:{ip}", window)
        self.store.audit("login.failure", actor=who[:100], ip=ip, now=self.clock(), **detail)

    def logout(self, session_token: str, *, ip: str = "") -> None:
        user = self.store.session_user(tokens.sha256_hex(session_token), self.clock())
        self.store.delete_session(tokens.sha256_hex(session_token))
        if user is not None:
            self.store.audit("logout", actor=user.username, subject=user.username, ip=ip, now=self.clock())

    def session_principal(self, session_token: str, ip: str) -> Principal | None:
        user = self.store.session_user(tokens.sha256_hex(session_token), self.clock())
        if user is None or user.status is not UserStatus.ACTIVE:
            return None
        return Principal(user.role, ip, user, "session")

    def key_principal(self, secret: str, ip: str) -> Principal:
        found = self.store.key_owner(tokens.sha256_hex(secret.strip()))
        if found is None:
            raise Unauthorized("the API key is not valid")
        key, user = found
        now = self.clock()
        if key.revoked_at is not None:
            self.store.audit("key.refused", actor=user.username, subject=key.prefix, ip=ip, now=now, why="revoked")
            raise Unauthorized("the API key was revoked")
        if user.status is not UserStatus.ACTIVE:
            raise AccountInactive("the API key's account is not active")
        if key.last_used is None or now - key.last_used > timedelta(minutes=5):
            self.store.touch_key(key.id, now)
            if key.last_used is None or now - key.last_used > timedelta(hours=1):
                self.store.audit("key.use", actor=user.username, subject=key.prefix, ip=ip, now=now)
        return Principal(user.role, ip, user, "key", key.id)

    # -- API keys ---------------------------------------------------------------------------------------------------
    def create_key(self, user: User, name: str, *, ip: str = "") -> tuple[ApiKey, str]:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidParameter("an API key needs a name of 1–100 characters")
        if sum(1 for k in self.store.list_keys(user.id) if k.revoked_at is None) >= 50:
            raise InvalidParameter("an account holds at most 50 active API keys; revoke one first")
        new = tokens.new_api_key()
        key = self.store.add_key(user.id, name, new.prefix, new.hash, self.clock())
        self.store.audit("key.create", actor=user.username, subject=key.prefix, ip=ip, now=self.clock(), name=name)
        return key, new.secret

    def revoke_key(self, user: User, key_id: int, *, ip: str = "") -> ApiKey:
        key = self.store.revoke_key(user.id, key_id, self.clock())
        if key is None:
            raise NotFound(f"you hold no API key {key_id}")
        self.store.audit("key.revoke", actor=user.username, subject=key.prefix, ip=ip, now=self.clock())
        return key


__all__ = ["Accounts", "Clock", "CodeSent", "Login", "utcnow"]
