from __future__ import annotations

import copy

import pytest

from eonode.api.fields import apply_fields
from eonode.api.transactions import merge_patch
from eonode.errors import ConfigError
from eonode.models.search import Fields
from eonode.settings import load_settings

ITEM = {
    "type": "Feature",
    "stac_version": "1.1.0",
    "id": "a",
    "collection": "c",
    "geometry": {"type": "Point"},
    "bbox": [0, 0, 1, 1],
    "links": [],
    "assets": {"data": {"href": "x"}},
    "properties": {"datetime": "2024-01-01T00:00:00Z", "eo:cloud_cover": 3, "gsd": 2},
}


@pytest.mark.parametrize(
    ("fields", "keys", "props"),
    [
        (None, set(ITEM), {"datetime", "eo:cloud_cover", "gsd"}),
        (
            Fields(),
            {"type", "stac_version", "id", "collection", "geometry", "bbox", "links", "assets", "properties"},
            {"datetime"},
        ),
        (Fields(frozenset({"properties.gsd"})), {"type", "stac_version", "id", "collection", "properties"}, {"gsd"}),
        (Fields(exclude=frozenset({"geometry"})), set(ITEM) - {"geometry"}, {"datetime", "eo:cloud_cover", "gsd"}),
        (
            Fields(exclude=frozenset({"geometry"}), include_given=True),
            {"type", "stac_version", "id", "collection", "bbox", "links", "assets", "properties"},
            {"datetime"},
        ),
        (
            Fields(frozenset({"properties.gsd"}), frozenset({"properties"})),
            {"type", "stac_version", "id", "collection", "properties"},
            {"gsd"},
        ),
    ],
)
def test_fields(fields: Fields | None, keys: set[str], props: set[str]) -> None:
    out = apply_fields(copy.deepcopy(ITEM), fields)
    assert set(out) == keys
    assert set(out.get("properties", {})) == props


def test_merge_patch() -> None:
    assert merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}, "f": [1]}) == {
        "a": 1,
        "b": {"d": 3, "e": 4},
        "f": [1],
    }


def test_settings_refuse_contradictions(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    with pytest.raises(ConfigError, match="default_limit"):
        load_settings(default_limit=500, max_limit=100)
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="mysql://x/y")
    monkeypatch.setenv("EONODE_PORT", "0")
    with pytest.raises(ConfigError, match="port"):
        load_settings()
    monkeypatch.delenv("EONODE_PORT")
    settings = load_settings(
        data_dir=tmp_path,
        database_url="postgresql://u:pw-sesame@h/db",
        smtp_username="mailer",
        smtp_password="mail-sesame",
        secret_key="k" * 40,
    )
    assert settings.database_url == "postgresql+psycopg://u:pw-sesame@h/db"
    shown = str(settings.masked())
    assert "sesame" not in shown and "k" * 40 not in shown
    with pytest.raises(ConfigError, match="smtp_password"):
        load_settings(smtp_password="x")
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(secret_key="short")
