"""Product readers, one module per family; a module exposes ``READER``.

Readers are found by scanning this package (and the ``eonode.readers`` entry point group, for
families added by other packages). The first reader whose ``matches`` accepts a product name
reads it; readers with a lower ``priority`` are asked first.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from importlib.metadata import entry_points

from eonode.errors import UnknownProduct
from eonode.ingest.model import Reader


@functools.cache
def readers() -> tuple[Reader, ...]:
    found: list[Reader] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        reader = getattr(module, "READER", None)
        if reader is not None:
            found.append(reader)
    for ep in entry_points(group="eonode.readers"):
        found.append(ep.load())
    return tuple(sorted(found, key=lambda r: (getattr(r, "priority", 100), r.name)))


def reader_for(product_name: str) -> Reader:
    for reader in readers():
        if reader.matches(product_name):
            return reader
    raise UnknownProduct(f"no reader recognises the product name {product_name!r}")
