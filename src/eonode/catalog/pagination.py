"""Keyset pagination tokens.

A token holds the sort values and the row key of the last (``next``) or first (``prev``) item of
a page, so the following page starts strictly after it: pages stay stable while items are
inserted, and a token never skips or repeats an item that was there when the search began.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from eonode.errors import InvalidToken

Direction = Literal["next", "prev"]


@dataclass(frozen=True, slots=True)
class PageToken:
    direction: Direction
    values: tuple[Any, ...]  # one per sort key
    key: int  # the row's unique key, the final tie-breaker


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"t"} or not isinstance(value["t"], str):
            raise InvalidToken()
        try:
            return datetime.fromisoformat(value["t"])
        except ValueError:
            raise InvalidToken() from None
    if value is not None and not isinstance(value, str | int | float):
        raise InvalidToken()
    return value


def encode(token: PageToken) -> str:
    raw = orjson.dumps([token.direction[0], [_encode_value(v) for v in token.values], token.key])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(text: str, n_keys: int) -> PageToken:
    """Decode a token made for a search with ``n_keys`` sort keys."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        direction, values, key = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidToken("the pagination token is not valid; start again from the first page") from None
    if direction not in ("n", "p") or not isinstance(values, list) or not isinstance(key, int):
        raise InvalidToken()
    if len(values) != n_keys:
        raise InvalidToken("the pagination token belongs to a search with a different sortby")
    return PageToken("next" if direction == "n" else "prev", tuple(_decode_value(v) for v in values), key)
