from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from eonode.catalog.postgis import PostgisCatalogStore
from eonode.catalog.store import CatalogStore
from eonode.catalog.testing import CatalogStoreContract
from eonode.catalog.testing_paging import PagingContract
from eonode.catalog.testing_search import SearchContract, load_dataset

pytestmark = pytest.mark.postgis


class TestPostgisCatalog(CatalogStoreContract):
    @pytest.fixture
    def store_factory(self, pg_database_factory: Callable[[], str]) -> Iterator[Callable[[], CatalogStore]]:
        url = pg_database_factory()
        opened: list[CatalogStore] = []

        def make() -> CatalogStore:
            opened.append(PostgisCatalogStore(url, pool_size=4))
            return opened[-1]

        yield make
        for s in opened:
            s.close()


class TestPostgisSearch(SearchContract, PagingContract):
    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls, pg_database_factory: Callable[[], str]) -> Iterator[CatalogStore]:
        store = PostgisCatalogStore(pg_database_factory(), pool_size=4)
        load_dataset(store)
        yield store
        store.close()
