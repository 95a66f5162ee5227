from __future__ import annotations

from pathlib import Path

import pytest

from eonode.storage.local import LocalBlobStore
from eonode.storage.store import BlobStore
from eonode.storage.testing import BlobStoreContract


class TestLocalBlobs(BlobStoreContract):
    @pytest.fixture
    def blobs(self, tmp_path: Path) -> BlobStore:
        return LocalBlobStore(tmp_path / "blobs")

    def test_corrupt_bytes_are_detected_and_set_aside(self, tmp_path: Path) -> None:
        store = LocalBlobStore(tmp_path / "blobs")
        info = store.put([b"original bytes"])
        store.path(info.sha256).write_bytes(b"flipped bytes!")
        assert store.verify(info.sha256) is False
        assert not store.exists(info.sha256)
        assert (tmp_path / "blobs" / ".corrupt" / info.sha256).exists()

    def test_no_temporary_files_left_behind(self, tmp_path: Path) -> None:
        store = LocalBlobStore(tmp_path / "blobs")
        store.put([b"x" * 1000])
        with pytest.raises(Exception):  # noqa: B017, PT011
            store.put([b"y"], expected_sha256="0" * 64)
        assert list((tmp_path / "blobs" / ".tmp").iterdir()) == []
