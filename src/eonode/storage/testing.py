"""The blob store contract suite: every BlobStore backend must pass it unchanged.

Subclass it in a test module and provide a ``blobs`` fixture.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator

import pytest

from eonode.errors import BadRequest, BlobNotFound, ChecksumMismatch
from eonode.storage.store import BlobStore


def _chunks(data: bytes, size: int = 7919) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class BlobStoreContract:
    @pytest.fixture
    def blobs(self) -> BlobStore:
        raise NotImplementedError("a backend test module provides the blobs fixture")

    def test_put_is_content_addressed_and_streamed(self, blobs: BlobStore) -> None:
        data = os.urandom(3 * 1024 * 1024 + 17)
        info = blobs.put(iter(_chunks(data)))
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        assert info.size == len(data)
        assert info.multihash == "1220" + info.sha256
        assert blobs.stat(info.sha256) == info
        assert b"".join(blobs.read(info.sha256)) == data

    def test_put_twice_stores_once(self, blobs: BlobStore) -> None:
        a = blobs.put([b"same bytes"])
        b = blobs.put([b"same", b" bytes"])
        assert a == b
        assert [x.sha256 for x in blobs.list()].count(a.sha256) == 1

    def test_ranges(self, blobs: BlobStore) -> None:
        data = bytes(range(256)) * 9000
        info = blobs.put([data])
        assert b"".join(blobs.read(info.sha256, 10, 19)) == data[10:20]
        assert b"".join(blobs.read(info.sha256, len(data) - 5)) == data[-5:]
        assert b"".join(blobs.read(info.sha256, 1_500_000, 2_300_000)) == data[1_500_000:2_300_001]

    def test_wrong_digest_or_size_stores_nothing(self, blobs: BlobStore) -> None:
        with pytest.raises(ChecksumMismatch):
            blobs.put([b"payload"], expected_sha256="0" * 64)
        with pytest.raises(ChecksumMismatch):
            blobs.put([b"payload"], expected_size=3)
        assert not blobs.exists(hashlib.sha256(b"payload").hexdigest())
        assert list(blobs.list()) == []

    def test_failed_stream_stores_nothing(self, blobs: BlobStore) -> None:
        def broken() -> Iterator[bytes]:
            yield b"partial"
            raise OSError("connection reset")

        with pytest.raises(OSError, match="connection reset"):
            blobs.put(broken())
        assert list(blobs.list()) == []

    def test_missing_and_bad_keys(self, blobs: BlobStore) -> None:
        with pytest.raises(BlobNotFound):
            blobs.stat("a" * 64)
        with pytest.raises(BlobNotFound):
            blobs.read("a" * 64)
        with pytest.raises(BadRequest):
            blobs.stat("../../etc/passwd")
        assert blobs.delete("a" * 64) is False

    def test_delete(self, blobs: BlobStore) -> None:
        info = blobs.put([b"to delete"])
        assert blobs.delete(info.sha256) is True
        assert not blobs.exists(info.sha256)

    def test_verify(self, blobs: BlobStore) -> None:
        info = blobs.put([b"good bytes"])
        assert blobs.verify(info.sha256)

    def test_concurrent_puts_of_the_same_blob(self, blobs: BlobStore) -> None:
        data = os.urandom(512 * 1024)
        results = []
        threads = [threading.Thread(target=lambda: results.append(blobs.put(iter(_chunks(data))))) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({r.sha256 for r in results}) == 1 and len(results) == 6
        assert b"".join(blobs.read(results[0].sha256)) == data
