"""Stored access facts: collection policies, access grants, role and user quota limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from eonode.accounts.db import AccountDb
from eonode.accounts.model import (
    QUOTA_FIELDS,
    CollectionPolicy,
    DataAccess,
    QuotaLimits,
    QuotaOverride,
    Role,
    Visibility,
)
from eonode.db.account_tables import access_grants, collection_policies, role_quotas, user_quotas


class AccessRows(AccountDb):
    # -- collection policies -------------------------------------------------------------------------
    def policies(self) -> dict[str, CollectionPolicy]:
        with self.read() as conn:
            rows = conn.execute(select(collection_policies)).all()
        out = {}
        for r in rows:
            m = r._mapping
            roles = frozenset(Role(x) for x in m["roles"].split(",") if x)
            out[m["collection"]] = CollectionPolicy(
                m["collection"], Visibility(m["visibility"]), DataAccess(m["data_access"]), roles
            )
        return out

    def put_policy(self, policy: CollectionPolicy, *, by: str, now: datetime) -> None:
        values = dict(
            visibility=policy.visibility.value,
            roles=",".join(sorted(r.value for r in policy.roles)),
            data_access=policy.data_access.value,
            updated=now,
            updated_by=by,
        )
        with self.write() as conn:
            done = conn.execute(
                update(collection_policies)
                .where(collection_policies.c.collection == policy.collection)
                .values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(collection_policies).values(collection=policy.collection, **values))

    def delete_policy(self, collection: str) -> None:
        with self.write() as conn:
            conn.execute(delete(collection_policies).where(collection_policies.c.collection == collection))

    # -- grants (approval, purchase) -----------------------------------------------------------------
    def grants_of(self, user_id: int, now: datetime) -> frozenset[tuple[str, str]]:
        """(collection, kind) pairs the user holds and that have not expired."""
        with self.read() as conn:
            rows = conn.execute(
                select(access_grants.c.collection, access_grants.c.kind).where(
                    access_grants.c.user_id == user_id,
                    or_(access_grants.c.expires.is_(None), access_grants.c.expires > now),
                )
            )
            return frozenset((r[0], r[1]) for r in rows)

    def put_grant(
        self, user_id: int, collection: str, kind: str, *, by: str, now: datetime, expires: datetime | None, note: str
    ) -> None:
        with self.write() as conn:
            conn.execute(
                delete(access_grants).where(
                    access_grants.c.user_id == user_id,
                    access_grants.c.collection == collection,
                    access_grants.c.kind == kind,
                )
            )
            conn.execute(
                insert(access_grants).values(
                    user_id=user_id,
                    collection=collection,
                    kind=kind,
                    created=now,
                    expires=expires,
                    granted_by=by,
                    note=note,
                )
            )

    def delete_grant(self, user_id: int, collection: str, kind: str) -> bool:
        with self.write() as conn:
            return bool(
                conn.execute(
                    delete(access_grants).where(
                        access_grants.c.user_id == user_id,
                        access_grants.c.collection == collection,
                        access_grants.c.kind == kind,
                    )
                ).rowcount
            )

    def list_grants(self, user_id: int | None = None) -> list[dict[str, Any]]:
        q = select(access_grants).order_by(access_grants.c.id)
        if user_id is not None:
            q = q.where(access_grants.c.user_id == user_id)
        with self.read() as conn:
            out = []
            for r in conn.execute(q):
                m = dict(r._mapping)
                for k in ("created", "expires"):
                    m[k] = m[k].isoformat() if m[k] else None
                out.append(m)
            return out

    # -- quotas ------------------------------------------------------------------------------------------
    def role_quota_rows(self) -> dict[Role, QuotaLimits]:
        with self.read() as conn:
            rows = conn.execute(select(role_quotas)).all()
        return {Role(r._mapping["role"]): QuotaLimits(*(r._mapping[f] for f in QUOTA_FIELDS)) for r in rows}

    def put_role_quota(self, role: Role, limits: QuotaLimits) -> None:
        values = limits.public()
        with self.write() as conn:
            if not conn.execute(update(role_quotas).where(role_quotas.c.role == role.value).values(**values)).rowcount:
                conn.execute(insert(role_quotas).values(role=role.value, **values))

    def user_quota(self, user_id: int) -> QuotaOverride | None:
        with self.read() as conn:
            row = conn.execute(select(user_quotas).where(user_quotas.c.user_id == user_id)).first()
        if row is None:
            return None
        m = row._mapping
        given = frozenset(x for x in m["given"].split(",") if x)
        return QuotaOverride(m["bytes_per_day"], m["concurrent_downloads"], m["requests_per_minute"], given)

    def put_user_quota(self, user_id: int, override: QuotaOverride | None) -> None:
        with self.write() as conn:
            conn.execute(delete(user_quotas).where(user_quotas.c.user_id == user_id))
            if override is not None and override.given:
                conn.execute(
                    insert(user_quotas).values(
                        user_id=user_id,
                        given=",".join(sorted(override.given)),
                        bytes_per_day=override.bytes_per_day,
                        concurrent_downloads=override.concurrent_downloads,
                        requests_per_minute=override.requests_per_minute,
                    )
                )
