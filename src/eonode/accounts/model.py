"""Pure data of the accounts domain: roles, users, keys, policies, quotas and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """What an account is. ``anonymous`` is nobody signed in; it is never stored."""

    ANONYMOUS = "anonymous"
    USER = "user"
    OPERATOR = "operator"
    ADMIN = "admin"
    NODE = "node"  # machine account of a child node


ACCOUNT_ROLES = (Role.USER, Role.OPERATOR, Role.ADMIN, Role.NODE)
STAFF = frozenset({Role.OPERATOR, Role.ADMIN})


class UserStatus(StrEnum):
    PENDING = "pending"  # registered, e-mail not verified yet
    ACTIVE = "active"
    DISABLED = "disabled"


class Visibility(StrEnum):
    """Who may see a collection's metadata (the collection, its items, counts, feed)."""

    PUBLIC = "public"
    REGISTERED = "registered"
    ROLE = "role"  # only the roles the policy lists (staff always)


class DataAccess(StrEnum):
    """Who may download a collection's data assets."""

    OPEN = "open"
    REGISTERED = "registered"
    APPROVAL = "approval"  # registered users an administrator granted access
    PURCHASE = "purchase"  # registered users holding a purchase grant
    NONE = "none"  # not distributed (staff only)


CodePurpose = Literal["register", "reset"]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str
    role: Role
    status: UserStatus
    full_name: str
    organisation: str
    country: str
    created: datetime
    verified_at: datetime | None
    last_login: datetime | None
    must_change_password: bool

    def public(self) -> dict[str, object]:
        """The profile as the API shows it (never the password hash)."""
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "role": self.role.value,
            "status": self.status.value,
            "full_name": self.full_name,
            "organisation": self.organisation,
            "country": self.country,
            "created": self.created.isoformat(),
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "last_login": self.last_login.isoformat() if self.last_login else None,
            "must_change_password": self.must_change_password,
        }


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    user_id: int
    name: str
    prefix: str
    created: datetime
    last_used: datetime | None
    revoked_at: datetime | None

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created": self.created.isoformat(),
            "last_used": self.last_used.isoformat() if self.last_used else None,
            "revoked": self.revoked_at is not None,
        }


@dataclass(frozen=True, slots=True)
class CollectionPolicy:
    collection: str
    visibility: Visibility
    data_access: DataAccess
    roles: frozenset[Role] = frozenset()  # for Visibility.ROLE
    explicit: bool = True  # False: the node's default applies (no row stored)

    def public(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "visibility": self.visibility.value,
            "roles": sorted(r.value for r in self.roles),
            "data_access": self.data_access.value,
            "default": not self.explicit,
        }


@dataclass(frozen=True, slots=True)
class QuotaLimits:
    """Limits of one principal; ``None`` means unlimited."""

    bytes_per_day: int | None
    concurrent_downloads: int | None
    requests_per_minute: int | None

    def merged(self, override: QuotaOverride | None) -> QuotaLimits:
        if override is None:
            return self
        return QuotaLimits(
            override.bytes_per_day if override.sets("bytes_per_day") else self.bytes_per_day,
            override.concurrent_downloads if override.sets("concurrent_downloads") else self.concurrent_downloads,
            override.requests_per_minute if override.sets("requests_per_minute") else self.requests_per_minute,
        )

    def public(self) -> dict[str, int | None]:
        return {
            "bytes_per_day": self.bytes_per_day,
            "concurrent_downloads": self.concurrent_downloads,
            "requests_per_minute": self.requests_per_minute,
        }


QUOTA_FIELDS = ("bytes_per_day", "concurrent_downloads", "requests_per_minute")


@dataclass(frozen=True, slots=True)
class QuotaOverride:
    """A user's own limits; fields not in ``given`` inherit the role's limit."""

    bytes_per_day: int | None = None
    concurrent_downloads: int | None = None
    requests_per_minute: int | None = None
    given: frozenset[str] = field(default_factory=frozenset)

    def sets(self, name: str) -> bool:
        return name in self.given


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, resolved once per request."""

    role: Role
    client_ip: str
    user: User | None = None
    via: Literal["anonymous", "session", "key", "link", "token"] = "anonymous"
    key_id: int | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def signed_in(self) -> bool:
        return self.role is not Role.ANONYMOUS

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def quota_key(self) -> str:
        """Whose usage this request counts against: the account, or the client address."""
        if self.user is not None:
            return f"user:{self.user.id}"
        if self.via == "token":
            return "token:admin"
        return f"ip:{self.client_ip}"

    @property
    def label(self) -> str:
        return self.user.username if self.user else ("admin-token" if self.via == "token" else self.client_ip)


@dataclass(frozen=True, slots=True)
class DownloadRecord:
    id: int
    principal: str
    user_id: int | None
    collection: str
    item_id: str
    asset: str
    bytes_sent: int
    range_start: int
    range_end: int
    started: datetime
    finished: datetime | None
    status: str
    via: str

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "collection": self.collection,
            "item": self.item_id,
            "asset": self.asset,
            "bytes": self.bytes_sent,
            "range": [self.range_start, self.range_end],
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "status": self.status,
            "via": self.via,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    event: str
    actor: str
    subject: str
    ip: str
    detail: dict[str, object]

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "event": self.event,
            "actor": self.actor,
            "subject": self.subject,
            "ip": self.ip,
            "detail": self.detail,
        }
