"""The blob store contract. Every backend passes the same suite (``storage/testing.py``).

Blobs are keyed by the lowercase hex sha256 of their bytes. A write streams, hashes as it goes,
lands under a temporary name, and only becomes visible — atomically, under its digest — once the
digest (and the expected size, when given) is verified. A store never serves bytes whose digest
it has not checked.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from eonode.errors import BadRequest

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
BLOB_HREF_PREFIX = "blob:sha256:"


def blob_href(sha256: str) -> str:
    """How a stored item refers to asset bytes this node keeps: by digest. The API turns it
    into a download URL per request; a node that replicates the bytes can use the same href."""
    return f"{BLOB_HREF_PREFIX}{check_digest(sha256)}"


def blob_digest(href: str) -> str | None:
    """The sha256 behind a blob href, or None for an external href."""
    if not href.startswith(BLOB_HREF_PREFIX):
        return None
    digest = href[len(BLOB_HREF_PREFIX) :]
    return digest if SHA256_HEX.match(digest) else None


@dataclass(frozen=True, slots=True)
class BlobInfo:
    sha256: str
    size: int

    @property
    def multihash(self) -> str:
        """The STAC ``file:checksum`` form: sha2-256 multihash, hex."""
        return f"1220{self.sha256}"


def check_digest(sha256: str) -> str:
    if not SHA256_HEX.match(sha256):
        raise BadRequest(f"{sha256!r} is not a sha256 hex digest")
    return sha256


def iter_file(handle: IO[bytes], chunk: int = CHUNK) -> Iterator[bytes]:
    while data := handle.read(chunk):
        yield data


class BlobStore(ABC):
    @abstractmethod
    def put(
        self, chunks: Iterable[bytes], *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> BlobInfo:
        """Store a stream of bytes; ChecksumMismatch (nothing stored) if it does not verify."""

    @abstractmethod
    def stat(self, sha256: str) -> BlobInfo:
        """Size of a stored blob; BlobNotFound if absent."""

    def exists(self, sha256: str) -> bool:
        from eonode.errors import BlobNotFound

        try:
            self.stat(sha256)
        except BlobNotFound:
            return False
        return True

    @abstractmethod
    def read(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Stream bytes ``start``..``end`` (inclusive; None = to the end) of a blob."""

    @abstractmethod
    def delete(self, sha256: str) -> bool:
        """Remove a blob; False if it was not there."""

    @abstractmethod
    def list(self) -> Iterator[BlobInfo]:
        """Every stored blob."""

    @abstractmethod
    def verify(self, sha256: str) -> bool:
        """Re-hash a stored blob; False (and the blob quarantined) if its bytes changed."""
