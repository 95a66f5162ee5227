"""The composition root: builds every part of a node from its Settings, and nothing else does.

Roles (main node, sub node) are configuration; this is the one place that decides which backend
implements each contract.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from eonode.accounts.services import AccountServices
from eonode.catalog.store import CatalogStore
from eonode.settings import Settings
from eonode.storage.local import LocalBlobStore
from eonode.storage.store import BlobStore

if TYPE_CHECKING:
    from eonode.federation.children import Children
    from eonode.ingest.inbox import Inbox
    from eonode.ingest.pipeline import Ingester

log = logging.getLogger("eonode")


def open_catalog(settings: Settings, *, migrate: bool = True, bulk: bool = False) -> CatalogStore:
    """The catalogue store the settings name; ``bulk`` tunes it for a loader process."""
    url = settings.effective_database_url
    if settings.is_sqlite:
        from eonode.catalog.sqlite import SqliteCatalogStore

        return SqliteCatalogStore(
            url,
            readers=settings.sqlite_readers,
            cache_mib=settings.sqlite_cache_mib,
            writer_cache_mib=settings.sqlite_bulk_cache_mib if bulk else None,
            migrate=migrate,
        )
    from eonode.catalog.postgis import PostgisCatalogStore

    return PostgisCatalogStore(url, migrate=migrate)


@dataclass
class Node:
    settings: Settings
    catalog: CatalogStore
    blobs: BlobStore
    accounts: AccountServices

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Node:
        """Create the data dir on first start, upgrade the database, open the stores."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = open_catalog(settings, migrate=migrate)
        blobs = LocalBlobStore(settings.effective_blob_path)
        accounts = AccountServices.open(settings)
        log.info(
            "node %s: catalogue %s, blobs %s",
            settings.title,
            settings.masked()["database_url"],
            settings.effective_blob_path,
        )
        return cls(settings, catalog, blobs, accounts)

    def ingester(self) -> Ingester:
        """Turns packages into catalogued products with this node's stores and limits."""
        from eonode.ingest.packages import Limits
        from eonode.ingest.pipeline import Ingester

        s = self.settings
        limits = Limits(
            max_members=s.ingest_max_files,
            max_unpacked=int(s.ingest_max_unpacked_gib * 1024**3),
            max_ratio=s.ingest_max_ratio,
        )
        return Ingester(self.catalog, self.blobs, work_dir=s.work_dir, limits=limits, quicklooks=s.ingest_quicklooks)

    def inbox(self, folder: Path | None = None) -> Inbox:
        """The inbox worker for ``folder`` (default: the configured inbox)."""
        from eonode.ingest.inbox import Inbox

        s = self.settings
        return Inbox(
            self.ingester(),
            folder.resolve() if folder else s.effective_inbox_dir,
            s.effective_quarantine_dir,
            settle_seconds=s.inbox_settle_seconds,
        )

    @cached_property
    def upstream(self) -> str | None:
        """The parent node's URL when this node follows one."""
        from eonode.federation.parent_link import parent_of

        parent = parent_of(self.settings)
        return parent[0] if parent else None

    @cached_property
    def children(self) -> Children:
        """This node's child nodes (enrollment, agreements, reports), opened on first use."""
        from eonode.federation.children import Children

        return Children(self.settings.effective_database_url, self.accounts)

    def close(self) -> None:
        if "children" in self.__dict__:
            self.children.close()
        self.accounts.close()
        self.catalog.close()
