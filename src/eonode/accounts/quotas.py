"""Quotas per role and per user: bytes per day, concurrent downloads, requests per minute.

Counters live in the node's database, so every API process of a node enforces the same limits.
Days are UTC days; minutes are clock minutes. Over a limit the caller gets ``QuotaExceeded``
(429) naming the limit, with ``Retry-After`` and the reset time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from eonode.accounts.counters import RequestCounter
from eonode.accounts.model import Principal, QuotaLimits, Role
from eonode.accounts.store import AccountStore
from eonode.errors import QuotaExceeded

GIB = 1024**3
CACHE_SECONDS = 1.0
STALE = timedelta(minutes=2)  # a download whose heartbeat is older has died and no longer counts
HEARTBEAT_SECONDS = 5.0

DEFAULT_ROLE_QUOTAS: dict[Role, QuotaLimits] = {
    Role.ANONYMOUS: QuotaLimits(5 * GIB, 2, 300),
    Role.USER: QuotaLimits(100 * GIB, 4, 1200),
    Role.NODE: QuotaLimits(None, 16, None),
    Role.OPERATOR: QuotaLimits(None, 16, None),
    Role.ADMIN: QuotaLimits(None, None, None),
}


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


class Quotas:
    def __init__(self, store: AccountStore, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock
        self.requests = RequestCounter(store.count_request)
        self._role_rows: tuple[float, dict[Role, QuotaLimits]] = (float("-inf"), {})

    # -- limits -----------------------------------------------------------------------------------------
    def _stored_role_limits(self) -> dict[Role, QuotaLimits]:
        """The roles' stored limits, re-read at most once a second (every request needs them)."""
        read_at, rows = self._role_rows
        if time.monotonic() - read_at >= CACHE_SECONDS:
            rows = self.store.role_quota_rows()
            self._role_rows = (time.monotonic(), rows)
        return rows

    def role_limits(self) -> dict[Role, QuotaLimits]:
        stored = self._stored_role_limits()
        return {role: stored.get(role, default) for role, default in DEFAULT_ROLE_QUOTAS.items()}

    def set_role_limits(self, role: Role, limits: QuotaLimits) -> None:
        self.store.put_role_quota(role, limits)
        self._role_rows = (float("-inf"), {})  # this process sees it at once; others within a second

    def limits(self, principal: Principal) -> QuotaLimits:
        base = self._stored_role_limits().get(principal.role) or DEFAULT_ROLE_QUOTAS[principal.role]
        if principal.user is None:
            return base
        return base.merged(self.store.user_quota(principal.user.id))

    # -- time windows ---------------------------------------------------------------------------------
    def _day(self, now: datetime) -> tuple[datetime, datetime]:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)

    @staticmethod
    def _minute(now: datetime) -> tuple[int, datetime]:
        window = int(now.timestamp()) // 60
        return window, datetime.fromtimestamp((window + 1) * 60, tz=now.tzinfo)

    # -- checks -----------------------------------------------------------------------------------------
    def count_request(self, principal: Principal) -> None:
        """Count one request against the per-minute limit (nothing is stored when unlimited)."""
        limit = self.limits(principal).requests_per_minute
        if limit is None:
            return
        now = self.clock()
        window, reset = self._minute(now)
        used = self.requests.hit(f"rpm:{principal.quota_key}", window)
        if used > limit:
            raise QuotaExceeded(
                f"request limit reached: {limit} requests per minute for {principal.role.value} accounts; "
                f"it resets at {reset.isoformat()}",
                retry_after=int((reset - now).total_seconds()) + 1,
                limit=f"requests-per-minute={limit}",
                reset=reset.isoformat(),
            )

    def begin_download(
        self, principal: Principal, *, collection: str, item: str, asset: str, start: int, end: int
    ) -> int:
        """Check the byte and concurrency limits and open a download record (one transaction, so
        parallel requests cannot both pass); returns the record's id."""
        limits, now = self.limits(principal), self.clock()
        length = max(0, end - start + 1)
        day_start, reset = self._day(now)
        slot = self.store.start_download(
            principal=principal.quota_key,
            user_id=principal.user_id,
            collection=collection,
            item_id=item,
            asset=asset,
            range_start=start,
            range_end=end,
            via=principal.via,
            now=now,
            stale_before=now - STALE,
            max_active=limits.concurrent_downloads,
            day_start=day_start,
            max_bytes=limits.bytes_per_day,
        )
        if slot.refused == "bytes" and limits.bytes_per_day is not None:
            left = max(0, limits.bytes_per_day - slot.used)
            raise QuotaExceeded(
                f"daily download limit reached: {human_bytes(limits.bytes_per_day)} per day, "
                f"{human_bytes(slot.used)} used or in progress, {human_bytes(left)} left, this download needs "
                f"{human_bytes(length)}; it resets at {reset.isoformat()}",
                retry_after=int((reset - now).total_seconds()) + 1,
                limit=f"bytes-per-day={limits.bytes_per_day}",
                reset=reset.isoformat(),
            )
        if slot.id is None:
            raise QuotaExceeded(
                f"concurrent download limit reached: {limits.concurrent_downloads} at a time for "
                f"{principal.role.value} accounts; start this one when another finishes",
                retry_after=30,
                limit=f"concurrent-downloads={limits.concurrent_downloads}",
            )
        return slot.id

    def progress(self, download_id: int, sent: int) -> None:
        self.store.download_progress(download_id, sent, self.clock())

    def finish(self, download_id: int, sent: int, *, complete: bool) -> None:
        self.store.download_progress(download_id, sent, self.clock(), status="done" if complete else "aborted")

    # -- status (never counted) ----------------------------------------------------------------------------
    def usage(self, principal: Principal) -> dict[str, object]:
        limits, now = self.limits(principal), self.clock()
        day_start, day_reset = self._day(now)
        window, minute_reset = self._minute(now)
        key = principal.quota_key
        used_bytes = self.store.bytes_since(key, day_start)
        active = self.store.active_downloads(key, now - STALE)
        requests = self.store.requests_in(f"rpm:{key}", window) + self.requests.pending(f"rpm:{key}", window)

        def entry(limit: int | None, used: int, reset: datetime | None) -> dict[str, object]:
            return {
                "limit": limit,
                "used": used,
                "remaining": None if limit is None else max(0, limit - used),
                "reset": reset.isoformat() if reset else None,
            }

        return {
            "principal": principal.label,
            "role": principal.role.value,
            "bytes_per_day": entry(limits.bytes_per_day, used_bytes, day_reset),
            "concurrent_downloads": entry(limits.concurrent_downloads, active, None),
            "requests_per_minute": entry(limits.requests_per_minute, requests, minute_reset),
        }
