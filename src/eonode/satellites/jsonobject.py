"""Reading hand-edited JSON objects with paths in every error message.

:class:`JsonObject` wraps one object of ``satellites.json``: typed getters say which field of which
record is wrong, and :meth:`JsonObject.done` refuses fields nobody read (typos such as ``swath`` for
``swath_km``). A broken registry is a fault of the installation, not of the user, so the errors are
plain :class:`~eonode.errors.EonodeError` (code ``InternalError``, HTTP 500).
"""

from __future__ import annotations

import re
from typing import Any

from eonode.errors import EonodeError


class JsonObject:
    """A JSON object being read, with its path for error messages; keys nobody reads are errors."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise EonodeError(f"{path}: must be a JSON object")
        self.raw: dict[str, Any] = raw
        self.path = path
        self._read: set[str] = set()

    def fail(self, msg: str) -> EonodeError:
        return EonodeError(f"{self.path}: {msg}")

    def _get(self, key: str, required: bool) -> Any:
        self._read.add(key)
        if key not in self.raw:
            if required:
                raise self.fail(f"missing field {key!r}")
            return None
        return self.raw[key]

    def text(self, key: str) -> str:
        value = self._get(key, True)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key!r} must be a non-empty string")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._get(key, False) is None else self.text(key)

    def number(self, key: str) -> float:
        value = self._get(key, True)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{key!r} must be a number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self._get(key, False) is None else self.number(key)

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key!r} must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(f"{key!r} lists a value twice")
        return tuple(value)

    def numbers(self, key: str, count: int) -> tuple[float, ...]:
        value = self._get(key, True)
        ok = isinstance(value, list) and len(value) == count
        if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            raise self.fail(f"{key!r} must be a list of {count} numbers")
        return tuple(float(v) for v in value)

    def object(self, key: str) -> JsonObject:
        return JsonObject(self._get(key, True), f"{self.path}.{key}")

    def opt_object(self, key: str) -> JsonObject | None:
        return None if self._get(key, False) is None else self.object(key)

    def members(self) -> list[tuple[str, JsonObject]]:
        """Every member of this object, itself an object (for tables keyed by id)."""
        return [(key, JsonObject(self._get(key, True), f"{self.path}.{key}")) for key in list(self.raw)]

    def objects(self, key: str, *, required: bool = True) -> list[JsonObject]:
        value = self._get(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key!r} must be a list")
        out = []
        for i, item in enumerate(value):
            label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else i
            out.append(JsonObject(item, f"{self.path}.{key}[{label}]"))
        return out

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self._read)
        if unknown:
            raise self.fail(f"unknown field(s) {', '.join(map(repr, unknown))}")


def choice(obj: JsonObject, key: str, allowed: frozenset[str] | tuple[str, ...]) -> str:
    """A string field that must be one of ``allowed``."""
    value = obj.text(key)
    if value not in allowed:
        raise obj.fail(f"{key!r} is {value!r}, not one of {', '.join(sorted(allowed))}")
    return value


def matching(obj: JsonObject, key: str, pattern: re.Pattern[str], what: str) -> str:
    """A string field that must match ``pattern`` (``what`` names the expected shape)."""
    value = obj.text(key)
    if not pattern.fullmatch(value):
        raise obj.fail(f"{key!r} {value!r} is not {what}")
    return value
