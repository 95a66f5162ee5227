"""Safe, tolerant reading of product metadata XML.

Package input is untrusted: it is parsed with defusedxml (no entity expansion, no DTD tricks,
no external resources), never with the standard library parser directly. Vendor files differ in
small ways — element case (``ProductInfo``/``productInfo``), namespaces (INPE's ``prdf``), empty
elements written ``<X />`` or ``<X></X>``, ``NULL`` for absent values, GB2312/GB18030 text with or
without a declaration — so lookups here ignore namespaces and case and treat empty/``NULL`` text as
absent. Every failure is an :class:`~eonode.errors.IngestError` naming the package, the file and
the field; no ``KeyError``/``ValueError`` escapes.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from eonode.errors import InvalidMetadata
from eonode.ingest.model import Member, PackageContents

ABSENT = {"", "NULL", "null", "None", "N/A"}
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Chinese vendor files declare GB2312 but often hold GBK/GB18030 characters: read them as the superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030"}


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def decode_xml(data: bytes, where: str) -> str:
    """The text of an XML file: its declared encoding (widened to GB18030 for GB2312/GBK), else
    UTF-8 (with or without BOM), else GB18030 — the encodings Chinese vendors use."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidMetadata(f"{where}: not valid UTF-16 text") from None
    declared = None
    head = _DECLARATION.match(data)
    if head:
        enc = _ENCODING.search(head.group(0))
        if enc:
            declared = enc.group(1).decode("ascii").lower()
    candidates: list[str] = []
    if declared:
        try:
            codecs.lookup(declared)
            candidates.append(_SUPERSETS.get(declared, declared))
        except LookupError:
            pass  # an unknown declared encoding: fall back to the usual suspects
    candidates += [enc for enc in ("utf-8", "gb18030") if enc not in candidates]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidMetadata(f"{where}: the text is neither in its declared encoding ({declared}), UTF-8 nor GB18030")


def parse_xml(data: bytes, where: str) -> Element:
    """Parse untrusted XML bytes safely; ``where`` ("package: member") goes into error messages."""
    text = decode_xml(data, where)
    # The declaration is dropped: the text is already decoded, and expat cannot decode GB2312 itself.
    text = re.sub(r"^\s*<\?xml[^>]*?\?>", "", text, count=1, flags=re.DOTALL)
    if not text.strip():
        raise InvalidMetadata(f"{where}: the XML file is empty")
    if "\x00" in text:  # expat skips NULs in decoded text, so UTF-16 without a BOM would parse "fine"
        raise InvalidMetadata(f"{where}: NUL characters in the text (UTF-16 without a byte-order mark?)")
    try:
        root: Element = SafeET.fromstring(text)
    except DefusedXmlException as exc:
        raise InvalidMetadata(f"{where}: forbidden XML construct ({type(exc).__name__})") from None
    except ParseError as exc:
        raise InvalidMetadata(f"{where}: not well-formed XML ({exc})") from None
    except (ValueError, SyntaxError) as exc:
        raise InvalidMetadata(f"{where}: the XML cannot be parsed ({exc})") from None
    return root


@dataclass(frozen=True, slots=True)
class Node:
    """An element with the context needed for good error messages."""

    element: Element
    where: str  # "<package>: <member path>"

    @property
    def tag(self) -> str:
        return local_name(self.element.tag)

    # -- navigation -------------------------------------------------------------------------
    def children(self, name: str | None = None) -> Iterator[Node]:
        wanted = name.lower() if name else None
        for child in self.element:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            if wanted is None or local_name(child.tag).lower() == wanted:
                yield Node(child, self.where)

    def find(self, path: str) -> Node | None:
        """The first element along a slash-separated path of local names (any case, any namespace).
        A step may list alternatives with ``|``: ``ProductInfo/Resolution|SpatialResolution``."""
        node: Node | None = self
        for step in path.split("/"):
            if node is None:
                return None
            found: Node | None = None
            for alternative in step.split("|"):
                found = next(node.children(alternative), None)
                if found is not None:
                    break
            node = found
        return node

    def first(self, *paths: str) -> Node | None:
        for path in paths:
            node = self.find(path)
            if node is not None and _clean(node.element.text) is not None:
                return node
        return None

    # -- values -----------------------------------------------------------------------------
    def text(self, *paths: str) -> str | None:
        """The stripped text of the first path that has a value; None when all are absent/empty/NULL."""
        for path in paths:
            node = self.find(path)
            if node is not None:
                value = _clean(node.element.text)
                if value is not None:
                    return value
        return None

    def require(self, *paths: str) -> str:
        value = self.text(*paths)
        if value is None:
            raise InvalidMetadata(f"{self.where}: the required field {' or '.join(paths)} is missing or empty")
        return value

    def number(self, *paths: str) -> float | None:
        value = self.text(*paths)
        if value is None:
            return None
        return to_float(value, self.where, paths[0])

    def require_number(self, *paths: str) -> float:
        return to_float(self.require(*paths), self.where, paths[0])

    def integer(self, *paths: str) -> int | None:
        value = self.number(*paths)
        if value is None:
            return None
        if not value.is_integer():
            raise InvalidMetadata(f"{self.where}: {paths[0]} should be a whole number, not {value}")
        return int(value)

    def identifier(self, *paths: str) -> str | None:
        """An id kept as a string (product ids overflow int32); must be digits (or a word id)."""
        value = self.text(*paths)
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
            raise InvalidMetadata(f"{self.where}: {paths[0]} is not a plausible identifier: {value[:40]!r}")
        return value


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    return None if value in ABSENT else value


def to_float(value: str, where: str, field: str) -> float:
    try:
        number = float(value.replace(",", ".") if value.count(",") == 1 and "." not in value else value)
    except ValueError:
        raise InvalidMetadata(f"{where}: {field} is not a number: {value[:40]!r}") from None
    if not math.isfinite(number):
        raise InvalidMetadata(f"{where}: {field} is not a finite number: {value[:40]!r}")
    return number


def read_xml(pkg: PackageContents, member: Member | str) -> Node:
    """Parse a package member as XML; the Node remembers "package: member" for messages."""
    path = member if isinstance(member, str) else member.path
    where = f"{pkg.name}: {path}"
    return Node(parse_xml(pkg.read(member), where), where)
