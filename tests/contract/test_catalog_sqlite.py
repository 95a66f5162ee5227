from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eonode.catalog.sqlite import SqliteCatalogStore
from eonode.catalog.store import CatalogStore
from eonode.catalog.testing import CatalogStoreContract
from eonode.catalog.testing_paging import PagingContract
from eonode.catalog.testing_search import SearchContract, load_dataset


class TestSqliteCatalog(CatalogStoreContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[[], CatalogStore]]:
        opened: list[CatalogStore] = []

        def make() -> CatalogStore:
            opened.append(SqliteCatalogStore(f"sqlite:///{tmp_path}/catalog.sqlite", readers=2))
            return opened[-1]

        yield make
        for s in opened:
            s.close()


class TestSqliteSearch(SearchContract, PagingContract):
    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogStore]:
        path = tmp_path_factory.mktemp("search")
        store = SqliteCatalogStore(f"sqlite:///{path}/catalog.sqlite", readers=2)
        load_dataset(store)
        yield store
        store.close()
