"""Bulk loading of STAC files: parse and check items in worker processes, write in one.

Reading JSON and checking geometry cost more than the database writes, so they run in a pool of
processes (one per core) while the single writer commits; results come back in file order.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from eonode.catalog.documents import PreparedItem, prepare_item
from eonode.catalog.store import CatalogStore, LoadReport
from eonode.errors import EonodeError, InvalidStac

CHUNK_LINES = 2000
Progress = Callable[[int], None]


def is_collection(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "Collection"


def _is_ndjson(path: Path) -> bool:
    if path.suffix in (".ndjson", ".jsonl"):
        return True
    with path.open("rb") as f:
        head = f.read(1 << 16).lstrip()
    end = head.find(b"\n")
    return head.startswith(b"{") and end > 0 and head[:end].rstrip().endswith(b"}") and head[end:].lstrip()[:1] == b"{"


def read_json_documents(path: Path) -> list[Any]:
    """A .json file: one object, a list, or a FeatureCollection."""
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidStac(f"{path}: not valid JSON ({exc})") from None
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        doc = doc.get("features", [])
    return doc if isinstance(doc, list) else [doc]


def collections_in(paths: list[Path]) -> list[dict[str, Any]]:
    """The collections in the files (in ndjson, only lines mentioning 'Collection' are parsed)."""
    found: list[dict[str, Any]] = []
    for path in paths:
        if _is_ndjson(path):
            with path.open("rb") as f:
                found += [o for line in f if b"Collection" in line and is_collection(o := orjson.loads(line))]
        else:
            found += [o for o in read_json_documents(path) if is_collection(o)]
    return found


Prepared = PreparedItem | tuple[str, str]  # an item ready to write, or (where, why) it was refused


def prepare_lines(origin: str, first_line: int, lines: list[bytes]) -> list[Prepared]:
    """Worker: parse and check one chunk of ndjson lines (collections are skipped)."""
    out: list[Prepared] = []
    for n, line in enumerate(lines, first_line):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            out.append((f"{origin}:{n}", f"not valid JSON ({exc})"))
            continue
        if is_collection(obj):
            continue
        try:
            out.append(prepare_item(obj).detached())
        except EonodeError as exc:
            out.append((f"{origin}:{n} ({obj.get('id', '?') if isinstance(obj, dict) else '?'})", exc.description))
    return out


def _chunks(paths: list[Path], progress: Progress) -> Iterator[tuple[str, int, list[bytes]]]:
    for path in paths:
        if not _is_ndjson(path):
            docs = [d for d in read_json_documents(path) if not is_collection(d)]
            progress(path.stat().st_size)
            for k in range(0, len(docs), CHUNK_LINES):
                yield str(path), k + 1, [orjson.dumps(d) for d in docs[k : k + CHUNK_LINES]]
            continue
        with path.open("rb") as f:
            line_no = 1
            while True:
                lines = f.readlines(1 << 21)
                if not lines:
                    break
                progress(sum(len(x) for x in lines))
                yield str(path), line_no, lines
                line_no += len(lines)


def prepared_items(paths: list[Path], progress: Progress, workers: int | None = None) -> Iterator[Prepared]:
    """Everything in the files except collections, prepared in parallel, in file order."""
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if workers == 1:
        for chunk in _chunks(paths, progress):
            yield from prepare_lines(*chunk)
        return
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(workers, mp_context=context) as pool:
        window: deque[cf.Future[list[Prepared]]] = deque()
        for chunk in _chunks(paths, progress):
            window.append(pool.submit(prepare_lines, *chunk))
            if len(window) > 2 * workers:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


@dataclass
class FileLoad:
    collections: int = 0
    report: LoadReport = field(default_factory=LoadReport)


def load_files(
    catalog: CatalogStore,
    paths: list[Path],
    *,
    batch_size: int = 10_000,
    progress: Progress = lambda n: None,
    workers: int | None = None,
) -> FileLoad:
    """Collections first, then items; what is refused is reported, everything else is written."""
    result = FileLoad()
    for doc in collections_in(paths):
        catalog.put_collection(doc)
        result.collections += 1
    refused: list[tuple[str, str]] = []

    def good() -> Iterator[PreparedItem]:
        for p in prepared_items(paths, progress, workers):
            if isinstance(p, PreparedItem):
                yield p
            else:
                refused.append(p)

    result.report = catalog.upsert_items(good(), batch_size=batch_size)
    result.report.rejected[:0] = refused
    if result.report.written:
        catalog.analyze()
    return result
