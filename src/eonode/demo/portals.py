"""The demo node's theme portal: /p/brics (GF-6, ZY-3 02, CBERS-04) with themed tiles."""

from __future__ import annotations

import json
from pathlib import Path

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="56" viewBox="0 0 120 56">
<rect width="120" height="56" rx="8" fill="#0b3d6b"/>
<g fill="none" stroke-width="4"><circle cx="24" cy="28" r="12" stroke="#e63946"/>
<circle cx="40" cy="28" r="12" stroke="#f4a261"/>
<circle cx="56" cy="28" r="12" stroke="#2a9d8f"/><circle cx="72" cy="28" r="12" stroke="#e9c46a"/>
<circle cx="88" cy="28" r="12" stroke="#a8dadc"/></g></svg>
"""

TILES = [
    ("Burned area", "火烧迹地", "collections=gf6-wfv-l1a&cloud_max=30"),
    ("Water environment", "水环境", "collections=cbers4-mux-l2a&collections=gf6-wfv-l1a&cloud_max=20"),
    ("Agriculture", "农业", "collections=gf6-wfv-l1a&collections=gf6-pms-l1a&cloud_max=40"),
    ("Air pollution", "大气污染", "collections=gf6-wfv-l1a&sort=newest"),
    ("Carbon source", "碳源", "collections=zy302-mux-l1a&collections=cbers4-mux-l2a"),
    ("Clean energy", "清洁能源", "collections=gf6-pms-l1a&collections=zy302-tlc-sc&cloud_max=10"),
]


def write_demo_portals(folder: Path) -> Path:
    """Write the demo's portals file (and logo) into ``folder``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brics.svg").write_text(LOGO, encoding="utf-8")
    spec = {
        "brics": {
            "title": "BRICS remote sensing satellite constellation",
            "title_zh": "金砖国家遥感卫星星座",
            "collections": ["gf6-*", "zy302-*", "cbers4-*"],
            "logo": "brics.svg",
            "tiles": [{"title": t, "title_zh": z, "search": s} for t, z, s in TILES],
        }
    }
    path = folder / "portals.json"
    path.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
