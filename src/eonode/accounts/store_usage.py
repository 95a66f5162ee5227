"""Stored usage: downloads (history, bytes, concurrent slots), request counters, the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import case, delete, func, insert, select, text, update

from eonode.accounts.db import AccountDb
from eonode.accounts.model import AuditEntry, DownloadRecord
from eonode.db.account_tables import audit_log, downloads, rate_counters


def _download_of(m: Any) -> DownloadRecord:
    return DownloadRecord(
        m["id"],
        m["principal"],
        m["user_id"],
        m["collection"],
        m["item_id"],
        m["asset"],
        m["bytes"],
        m["range_start"],
        m["range_end"],
        m["started"],
        m["finished"],
        m["status"],
        m["via"],
    )


@dataclass(frozen=True, slots=True)
class Slot:
    """A started download (``id``), or why none was started (and the usage that refused it)."""

    id: int | None
    refused: Literal["concurrent", "bytes"] | None
    used: int


class UsageRows(AccountDb):
    # -- downloads --------------------------------------------------------------------------------------
    def _lock_principal(self, conn: Any, principal: str) -> None:
        """Serialise slot-taking per principal (SQLite's BEGIN IMMEDIATE already does)."""
        if not self.sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": principal})

    def _bytes_today(self, conn: Any, principal: str, since: datetime) -> int:
        """Bytes a principal used since ``since``: finished downloads count what they sent,
        running ones their whole requested length (so parallel downloads cannot overshoot)."""
        reserved = case(
            (downloads.c.status == "active", downloads.c.range_end - downloads.c.range_start + 1),
            else_=downloads.c.bytes,
        )
        total = conn.execute(
            select(func.coalesce(func.sum(reserved), 0)).where(
                downloads.c.principal == principal, downloads.c.started >= since
            )
        ).scalar_one()
        return int(total)

    def start_download(
        self,
        *,
        principal: str,
        user_id: int | None,
        collection: str,
        item_id: str,
        asset: str,
        range_start: int,
        range_end: int,
        via: str,
        now: datetime,
        stale_before: datetime,
        max_active: int | None,
        day_start: datetime,
        max_bytes: int | None,
    ) -> Slot:
        """Check both limits and record the download, in one transaction per principal."""
        with self.write() as conn:
            self._lock_principal(conn, principal)
            # Downloads whose process died never finish: their heartbeat stops and they stop counting.
            conn.execute(
                update(downloads)
                .where(downloads.c.status == "active", downloads.c.heartbeat < stale_before)
                .values(status="aborted", finished=downloads.c.heartbeat)
            )
            if max_active is not None:
                active = conn.execute(
                    select(func.count())
                    .select_from(downloads)
                    .where(downloads.c.principal == principal, downloads.c.status == "active")
                ).scalar_one()
                if active >= max_active:
                    return Slot(None, "concurrent", int(active))
            if max_bytes is not None:
                used = self._bytes_today(conn, principal, day_start)
                if used + (range_end - range_start + 1) > max_bytes:
                    return Slot(None, "bytes", used)
            new_id = conn.execute(
                insert(downloads)
                .values(
                    principal=principal,
                    user_id=user_id,
                    collection=collection,
                    item_id=item_id,
                    asset=asset,
                    bytes=0,
                    range_start=range_start,
                    range_end=range_end,
                    started=now,
                    heartbeat=now,
                    status="active",
                    via=via,
                )
                .returning(downloads.c.id)
            ).scalar_one()
        return Slot(int(new_id), None, 0)

    def download_progress(self, download_id: int, sent: int, now: datetime, *, status: str | None = None) -> None:
        values: dict[str, Any] = {"bytes": sent, "heartbeat": now}
        if status is not None:
            values.update(status=status, finished=now)
        with self.write(relaxed=status is None) as conn:
            conn.execute(update(downloads).where(downloads.c.id == download_id).values(**values))

    def bytes_since(self, principal: str, since: datetime) -> int:
        with self.read() as conn:
            return self._bytes_today(conn, principal, since)

    def active_downloads(self, principal: str, stale_before: datetime) -> int:
        with self.read() as conn:
            n = conn.execute(
                select(func.count())
                .select_from(downloads)
                .where(
                    downloads.c.principal == principal,
                    downloads.c.status == "active",
                    downloads.c.heartbeat >= stale_before,
                )
            ).scalar_one()
        return int(n)

    def list_downloads(self, *, user_id: int | None = None, limit: int = 100, offset: int = 0) -> list[DownloadRecord]:
        q = select(downloads).order_by(downloads.c.id.desc()).limit(limit).offset(offset)
        if user_id is not None:
            q = q.where(downloads.c.user_id == user_id)
        with self.read() as conn:
            return [_download_of(r._mapping) for r in conn.execute(q)]

    # -- request counters -------------------------------------------------------------------------------
    def last_downloads(self) -> dict[tuple[str, str], datetime]:
        """When each item's data was last downloaded here (for least-recently-used eviction)."""
        q = select(downloads.c.collection, downloads.c.item_id, func.max(downloads.c.started)).group_by(
            downloads.c.collection, downloads.c.item_id
        )
        with self.read() as conn:
            return {(c, i): when for c, i, when in conn.execute(q)}

    def usage_since(self, since: datetime) -> list[dict[str, Any]]:
        """Downloads per collection and day since ``since``: count, bytes, distinct users."""
        q = select(downloads.c.collection, downloads.c.started, downloads.c.bytes, downloads.c.principal).where(
            downloads.c.started >= since
        )
        days: dict[tuple[str, str], dict[str, Any]] = {}
        with self.read() as conn:
            for collection, started, sent, principal in conn.execute(q):
                day = days.setdefault(
                    (collection, started.date().isoformat()), {"downloads": 0, "bytes": 0, "users": set()}
                )
                day["downloads"] += 1
                day["bytes"] += sent
                day["users"].add(principal)
        return [
            {"collection": c, "day": d, "downloads": v["downloads"], "bytes": v["bytes"], "users": len(v["users"])}
            for (c, d), v in sorted(days.items())
        ]

    def count_request(self, key: str, window: int, n: int = 1) -> int:
        """Add ``n`` requests to ``key``'s counter for ``window``; returns the new count (one upsert)."""
        if self.sqlite:
            from sqlalchemy.dialects.sqlite import insert as upsert
        else:
            from sqlalchemy.dialects.postgresql import insert as upsert  # type: ignore[assignment]
        stmt = (
            upsert(rate_counters)
            .values(key=key, window=window, count=n)
            .on_conflict_do_update(
                index_elements=[rate_counters.c.key, rate_counters.c.window],
                set_={"count": rate_counters.c.count + n},
            )
            .returning(rate_counters.c.count)
        )
        with self.counting() as conn:
            count = int(conn.execute(stmt).scalar_one())
            if count == n:  # a new window: the key's older ones are history
                conn.execute(delete(rate_counters).where(rate_counters.c.key == key, rate_counters.c.window < window))
        return count

    def requests_in(self, key: str, window: int) -> int:
        with self.counting() as conn:
            n = conn.execute(
                select(rate_counters.c.count).where(rate_counters.c.key == key, rate_counters.c.window == window)
            ).scalar()
        return int(n or 0)

    # -- audit ------------------------------------------------------------------------------------------
    def audit(self, event: str, *, actor: str, now: datetime, subject: str = "", ip: str = "", **detail: Any) -> None:
        with self.write() as conn:
            conn.execute(
                insert(audit_log).values(
                    at=now, event=event, actor=actor, subject=subject, ip=ip, detail=orjson.dumps(detail).decode()
                )
            )

    def list_audit(
        self, *, limit: int = 100, event: str | None = None, actor: str | None = None, subject: str | None = None
    ) -> list[AuditEntry]:
        q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if event:
            q = q.where(audit_log.c.event.like(event.replace("*", "%")))
        if actor:
            q = q.where(audit_log.c.actor == actor)
        if subject:
            q = q.where(audit_log.c.subject == subject)
        with self.read() as conn:
            return [
                AuditEntry(m["id"], m["at"], m["event"], m["actor"], m["subject"], m["ip"], orjson.loads(m["detail"]))
                for m in (r._mapping for r in conn.execute(q))
            ]
