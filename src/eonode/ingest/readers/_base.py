"""The shape every bundled reader shares: recognise a product by its name, then read the package."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from eonode.errors import UnknownProduct
from eonode.ingest.model import PackageContents, Product, bare_name

Parsed = TypeVar("Parsed")


class NamedReader(ABC, Generic[Parsed]):
    """A product family known by its names. Subclasses say how a name parses (``parse``, cheap:
    it is also how the reader is chosen) and what a package with such a name holds (``read_named``)."""

    name: ClassVar[str]
    priority: ClassVar[int] = 100  # lower is asked first: specific families before broad ones
    kind: ClassVar[str]  # for messages: "a GF-3 SAR product name"

    @abstractmethod
    def parse(self, name: str) -> Parsed | None:
        """The fields of a product name (without archive suffix), or None if it is not one of ours."""

    @abstractmethod
    def read_named(self, pkg: PackageContents, name: str, parsed: Parsed) -> Product:
        """The product in a package whose name parsed; an IngestError saying why not."""

    def matches(self, product_name: str) -> bool:
        return self.parse(bare_name(product_name)) is not None

    def read(self, pkg: PackageContents) -> Product:
        name = bare_name(pkg.name)
        parsed = self.parse(name)
        if parsed is None:
            raise UnknownProduct(f"{name} is not {self.kind}")
        return self.read_named(pkg, name, parsed)
