"""The accounts store: one SQL implementation over both backends (SQLite and PostgreSQL).

Concepts live in their own modules (users and credentials here, access in ``store_access``,
usage in ``store_usage``); ``AccountStore`` combines them. Every method is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from eonode.accounts.db import AccountDb
from eonode.accounts.model import ApiKey, CodePurpose, Role, User, UserStatus
from eonode.accounts.store_access import AccessRows
from eonode.accounts.store_usage import UsageRows
from eonode.db.account_tables import api_keys, sessions, users, verification_codes
from eonode.db.types import Timestamp
from eonode.errors import AlreadyExists, NotFound


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a login checks: the user, the password hash and the lockout state."""

    user: User
    password_hash: str
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class CodeRow:
    id: int
    code_hash: str
    created: datetime
    expires: datetime
    attempts: int
    used_at: datetime | None


def user_of(row: Row[Any]) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        username=m["username"],
        email=m["email"],
        role=Role(m["role"]),
        status=UserStatus(m["status"]),
        full_name=m["full_name"],
        organisation=m["organisation"],
        country=m["country"],
        created=m["created"],
        verified_at=m["verified_at"],
        last_login=m["last_login"],
        must_change_password=bool(m["must_change_password"]),
    )


def key_of(row: Row[Any]) -> ApiKey:
    m = row._mapping
    return ApiKey(m["id"], m["user_id"], m["name"], m["prefix"], m["created"], m["last_used"], m["revoked_at"])


_USER_COLS = [c for c in users.c if c.name not in {"password_hash", "failed_logins", "locked_until"}]


class AccountStore(AccessRows, UsageRows, AccountDb):
    # -- users ------------------------------------------------------------------------------------
    def create_user(
        self,
        *,
        username: str,
        email: str,
        password_hash: str,
        role: Role,
        status: UserStatus,
        now: datetime,
        full_name: str = "",
        organisation: str = "",
        country: str = "",
        must_change_password: bool = False,
    ) -> User:
        values = dict(
            username=username.lower(),
            email=email.lower(),
            password_hash=password_hash,
            role=role.value,
            status=status.value,
            full_name=full_name,
            organisation=organisation,
            country=country,
            created=now,
            verified_at=now if status is UserStatus.ACTIVE else None,
            failed_logins=0,
            must_change_password=must_change_password,
        )
        try:
            with self.write() as conn:
                new_id = conn.execute(insert(users).values(**values).returning(users.c.id)).scalar_one()
        except IntegrityError:
            taken = self._taken(username, email)
            raise AlreadyExists(f"the {taken} is already registered") from None
        return self.get_user(int(new_id))

    def _taken(self, username: str, email: str) -> str:
        with self.read() as conn:
            by_name = conn.execute(select(users.c.id).where(users.c.username == username.lower())).first()
        return "account name" if by_name else "e-mail address"

    def get_user(self, user_id: int) -> User:
        with self.read() as conn:
            row = conn.execute(select(*_USER_COLS).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"no user with id {user_id}")
        return user_of(row)

    def find_user(self, login: str) -> User | None:
        """By account name or e-mail address (case-insensitive)."""
        login = login.strip().lower()
        with self.read() as conn:
            row = conn.execute(
                select(*_USER_COLS).where(or_(users.c.username == login, users.c.email == login))
            ).first()
        return user_of(row) if row else None

    def credentials(self, login: str) -> Credentials | None:
        login = login.strip().lower()
        with self.read() as conn:
            row = conn.execute(select(users).where(or_(users.c.username == login, users.c.email == login))).first()
        if row is None:
            return None
        m = row._mapping
        return Credentials(user_of(row), m["password_hash"], m["failed_logins"], m["locked_until"])

    def list_users(
        self,
        *,
        text: str | None = None,
        role: Role | None = None,
        status: UserStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[User], int]:
        where = []
        if text:
            like = f"%{text.strip().lower()}%"
            where.append(
                or_(
                    users.c.username.like(like),
                    users.c.email.like(like),
                    func.lower(users.c.full_name).like(like),
                    func.lower(users.c.organisation).like(like),
                )
            )
        if role is not None:
            where.append(users.c.role == role.value)
        if status is not None:
            where.append(users.c.status == status.value)
        with self.read() as conn:
            total = conn.execute(select(func.count()).select_from(users).where(*where)).scalar_one()
            rows = conn.execute(select(*_USER_COLS).where(*where).order_by(users.c.id).limit(limit).offset(offset))
            return [user_of(r) for r in rows], int(total)

    def update_user(self, user_id: int, **values: Any) -> User:
        for name in ("role", "status"):
            if name in values and hasattr(values[name], "value"):
                values[name] = values[name].value
        with self.write() as conn:
            done = conn.execute(update(users).where(users.c.id == user_id).values(**values)).rowcount
        if not done:
            raise NotFound(f"no user with id {user_id}")
        return self.get_user(user_id)

    def delete_user(self, user_id: int) -> None:
        """Only for never-verified registrations (their name and address become free again);
        nothing of theirs is left for a later account to inherit."""
        from eonode.db.account_tables import access_grants, user_quotas

        with self.write() as conn:
            gone = conn.execute(
                delete(users).where(users.c.id == user_id, users.c.status == UserStatus.PENDING.value)
            ).rowcount
            if gone:
                for table in (access_grants, user_quotas, api_keys, sessions):
                    conn.execute(delete(table).where(table.c.user_id == user_id))

    def count_users(self, role: Role | None = None) -> int:
        with self.read() as conn:
            q = select(func.count()).select_from(users)
            if role is not None:
                q = q.where(users.c.role == role.value, users.c.status == UserStatus.ACTIVE.value)
            return int(conn.execute(q).scalar_one())

    def record_login(self, user_id: int, *, ok: bool, now: datetime, locked_until: datetime | None = None) -> None:
        with self.write() as conn:
            if ok:
                values: dict[str, Any] = dict(failed_logins=0, locked_until=None, last_login=now)
            else:
                values = dict(failed_logins=users.c.failed_logins + 1, locked_until=locked_until)
            conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def set_password(self, user_id: int, password_hash: str, *, must_change: bool = False) -> None:
        with self.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    password_hash=password_hash, must_change_password=must_change, failed_logins=0, locked_until=None
                )
            )
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))

    # -- verification codes ----------------------------------------------------------------------
    def add_code(self, email: str, purpose: CodePurpose, code_hash: str, *, now: datetime, expires: datetime) -> None:
        with self.write() as conn:
            # A new code replaces every earlier one of the same purpose.
            conn.execute(
                update(verification_codes)
                .where(
                    verification_codes.c.email == email.lower(),
                    verification_codes.c.purpose == purpose,
                    verification_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            conn.execute(
                insert(verification_codes).values(
                    email=email.lower(), purpose=purpose, code_hash=code_hash, created=now, expires=expires, attempts=0
                )
            )

    def codes_sent_since(self, email: str, purpose: CodePurpose, since: datetime) -> list[datetime]:
        with self.read() as conn:
            rows = conn.execute(
                select(verification_codes.c.created)
                .where(
                    verification_codes.c.email == email.lower(),
                    verification_codes.c.purpose == purpose,
                    verification_codes.c.created > since,
                )
                .order_by(verification_codes.c.created)
            )
            return [r[0] for r in rows]

    def live_code(self, email: str, purpose: CodePurpose) -> CodeRow | None:
        """The newest code not yet used (it may have expired)."""
        with self.read() as conn:
            row = conn.execute(
                select(verification_codes)
                .where(
                    verification_codes.c.email == email.lower(),
                    verification_codes.c.purpose == purpose,
                    verification_codes.c.used_at.is_(None),
                )
                .order_by(verification_codes.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        m = row._mapping
        return CodeRow(m["id"], m["code_hash"], m["created"], m["expires"], m["attempts"], m["used_at"])

    def code_attempt(self, code_id: int, *, used_at: datetime | None) -> None:
        """Count one attempt on a code; ``used_at`` consumes it."""
        with self.write() as conn:
            values: dict[str, Any] = {"attempts": verification_codes.c.attempts + 1}
            if used_at is not None:
                values["used_at"] = used_at
            conn.execute(update(verification_codes).where(verification_codes.c.id == code_id).values(**values))

    # -- API keys ----------------------------------------------------------------------------------
    def add_key(self, user_id: int, name: str, prefix: str, key_hash: str, now: datetime) -> ApiKey:
        with self.write() as conn:
            row = conn.execute(
                insert(api_keys)
                .values(user_id=user_id, name=name, prefix=prefix, key_hash=key_hash, created=now)
                .returning(*api_keys.c)
            ).one()
        return key_of(row)

    def list_keys(self, user_id: int) -> list[ApiKey]:
        with self.read() as conn:
            rows = conn.execute(select(api_keys).where(api_keys.c.user_id == user_id).order_by(api_keys.c.id))
            return [key_of(r) for r in rows]

    def revoke_key(self, user_id: int, key_id: int, now: datetime) -> ApiKey | None:
        """Revoke one of the user's keys; None if the user holds no such key."""
        with self.write() as conn:
            row = conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.user_id == user_id)
                .values(revoked_at=func.coalesce(api_keys.c.revoked_at, literal(now, Timestamp())))
                .returning(*api_keys.c)
            ).first()
        return key_of(row) if row else None

    def key_owner(self, key_hash: str) -> tuple[ApiKey, User] | None:
        with self.read() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
            if row is None:
                return None
            user = conn.execute(select(*_USER_COLS).where(users.c.id == row._mapping["user_id"])).first()
        return (key_of(row), user_of(user)) if user else None

    def touch_key(self, key_id: int, now: datetime) -> None:
        with self.write(relaxed=True) as conn:
            conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used=now))

    # -- sessions ------------------------------------------------------------------------------------
    def add_session(
        self, token_hash: str, user_id: int, *, now: datetime, expires: datetime, ip: str, user_agent: str
    ) -> None:
        with self.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires < now))
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    created=now,
                    expires=expires,
                    last_seen=now,
                    ip=ip,
                    user_agent=user_agent[:300],
                )
            )

    def session_user(self, token_hash: str, now: datetime) -> User | None:
        with self.read() as conn:
            row = conn.execute(
                select(*_USER_COLS)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == token_hash, sessions.c.expires > now)
            ).first()
        return user_of(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def delete_sessions_of(self, user_id: int) -> None:
        with self.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))

    # -- node secret ---------------------------------------------------------------------------------
    def node_secret(self) -> bytes:
        """The node's signing key, made on first use and shared by every process of the node."""
        import secrets

        from eonode.db.tables import node_meta

        with self.read() as conn:
            value = conn.execute(select(node_meta.c.value).where(node_meta.c.key == "secret_key")).scalar()
        if value is None:
            try:
                with self.write() as conn:
                    conn.execute(insert(node_meta).values(key="secret_key", value=secrets.token_urlsafe(48)))
            except IntegrityError:
                pass  # another process made it first
            with self.read() as conn:
                value = conn.execute(select(node_meta.c.value).where(node_meta.c.key == "secret_key")).scalar_one()
        return str(value).encode()
