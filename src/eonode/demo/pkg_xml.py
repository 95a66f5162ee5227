"""A tiny XML writer that reproduces vendor formatting byte for byte.

ElementTree cannot choose, element by element, between ``<X />`` and ``<X></X>``, nor write the
declarations, blank lines and indents of the real files — and readers are tested against exactly
those quirks (product-formats.md §4.9 item 5). So documents are built from :class:`El` trees and
rendered here. Number styles of the vendors are kept as small helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

DECL_CRESDA = '<?xml version="1.0" encoding="UTF-8" ?>'  # ProductMetaData files: space before ?>
DECL_PLAIN = '<?xml version="1.0" encoding="UTF-8"?>'
DECL_STANDALONE = '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>'  # GF-3
DECL_INPE = '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>'

SHORT = "short"  # <X />
PAIR = "pair"  # <X></X>


@dataclass(slots=True)
class El:
    """An element: a leaf with ``text`` (None = empty) or a parent of ``children``."""

    tag: str
    text: str | None = None
    children: list[El] = field(default_factory=list)
    attrs: tuple[tuple[str, str], ...] = ()
    empty: str = SHORT

    def add(self, *children: El) -> El:
        self.children.extend(children)
        return self


def leaf(tag: str, value: object, empty: str = SHORT) -> El:
    """A leaf; ``None`` and ``""`` become an empty element written in the ``empty`` style."""
    text = None if value is None or value == "" else str(value)
    return El(tag, text, empty=empty)


def group(tag: str, *children: El, attrs: tuple[tuple[str, str], ...] = ()) -> El:
    return El(tag, children=list(children), attrs=attrs)


def leaves(pairs: Iterable[tuple[str, object]], empty: str = SHORT) -> list[El]:
    return [leaf(tag, value, empty) for tag, value in pairs]


def _open(el: El) -> str:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in el.attrs)
    return f"<{el.tag}{attrs}"


def _lines(el: El, depth: int, indent: str, blank_depth: int | None, out: list[str]) -> None:
    pad = indent * depth
    if el.children:
        out.append(f"{pad}{_open(el)}>")
        for child in el.children:
            if blank_depth is not None and depth + 1 == blank_depth:
                out.append("")
            _lines(child, depth + 1, indent, blank_depth, out)
        if blank_depth is not None and depth + 1 == blank_depth:
            out.append("")
        out.append(f"{pad}</{el.tag}>")
    elif el.text is None:
        out.append(f"{pad}{_open(el)} />" if el.empty == SHORT else f"{pad}{_open(el)}></{el.tag}>")
    else:
        out.append(f"{pad}{_open(el)}>{escape(el.text)}</{el.tag}>")


def render(root: El, *, declaration: str = DECL_CRESDA, indent: str = "    ", blank_depth: int | None = None) -> bytes:
    """The document as UTF-8 bytes with LF line ends and a final newline, like every real fixture.

    ``blank_depth`` puts an empty line before each element at that depth and before the closing
    tag of its parent (the INPE ``prdf`` layout)."""
    out = [declaration]
    _lines(root, 0, indent, blank_depth, out)
    return ("\n".join(out) + "\n").encode("utf-8")


def g6(x: float) -> str:
    """C++ stream default (``%g``, 6 significant digits): ``106.266``, ``5.83353e-05`` (classic CRESDA)."""
    return f"{x:g}"


def f15(x: float) -> str:
    """Fifteen decimals, as the 2023 CRESDA generation writes floats: ``3.240000000000000``."""
    return f"{x:.15f}"


def f6(x: float) -> str:
    """``%.6f`` (GF-3 and INPE values)."""
    return f"{x:.6f}"
