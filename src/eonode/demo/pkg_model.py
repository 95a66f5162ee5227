"""The pieces a family builder produces: package entries (bytes or streamed blobs) and its context.

Every random choice comes from generators seeded by (seed, family, index[, purpose]), never from the
clock or the global generator, so a package is the same bytes on every run and on every machine.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np


class Blob(Protocol):
    """File content that knows its size up front (tar headers need it) and can be read in chunks."""

    @property
    def size(self) -> int: ...

    def chunks(self) -> Iterator[bytes]: ...


@dataclass(frozen=True, slots=True)
class Data:
    """A small file held in memory."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        yield self.data


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of a package, by its path inside the product folder."""

    path: str
    blob: Blob
    quicklook: bool = False  # browse/thumbnail images, left out with quicklooks=False


@dataclass(slots=True)
class Built:
    """A generated product: its name (package name without extension) and its files."""

    name: str
    produced: datetime  # production time: the timestamp every archive member carries
    entries: list[Entry] = field(default_factory=list)

    def add(self, path: str, data: bytes, *, quicklook: bool = False) -> None:
        self.entries.append(Entry(path, Data(data), quicklook))


@dataclass(frozen=True, slots=True)
class Ctx:
    """What a family builder is given: the identity of the package and where to put scratch files."""

    family: str
    index: int
    seed: int
    quicklooks: bool
    scratch: Path  # an empty private folder for drivers that only write real files (netCDF)

    def rng(self, purpose: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{self.family}:{self.index}:{purpose}")

    def nprng(self, purpose: str) -> np.random.Generator:
        key = zlib.crc32(f"{self.family}:{purpose}".encode())
        return np.random.default_rng([self.seed & 0xFFFFFFFF, key, self.index])
