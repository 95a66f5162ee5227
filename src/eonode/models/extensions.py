"""The STAC extension schemas eonode's documents declare, by field prefix (one list, one version each)."""

from __future__ import annotations

EXTENSIONS: dict[str, str] = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "view": "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
}
