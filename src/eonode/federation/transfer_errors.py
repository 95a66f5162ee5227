"""How a transfer fails. ``permanent`` tells a job queue whether trying again later can help: a
404 cannot; a parent that is down for a while, or a cancelled transfer, can.

These are not (yet) part of ``eonode.errors``: a failed replication is a job's outcome, not an
answer the API gives; a job layer that reports them to users would map them there.
"""

from __future__ import annotations


class TransferFailed(Exception):
    """The file could not be copied; ``reason`` says why in words fit for a status page."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the server asked to wait, when longer than we wait in place


class ContentMismatch(TransferFailed):
    """The bytes are not the expected ones (size or sha256): the part file has been deleted."""


class TransferCancelled(TransferFailed):
    """The ``cancel`` event was set; progress is checkpointed and the next fetch resumes it."""

    def __init__(self) -> None:
        super().__init__("cancelled", permanent=False)
