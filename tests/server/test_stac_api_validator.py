"""stac-api-validator (offline wrapper from ../shared/tools) against a real `eonode serve`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import NodeProcess

pytestmark = [pytest.mark.server, pytest.mark.slow]

VALIDATOR = Path(__file__).resolve().parents[3] / "shared" / "tools" / "stac_api_validate_offline.py"


@pytest.mark.parametrize(
    "conformance",
    ["core", "features", "item-search", "filter", "item-search#sort", "item-search#fields", "collections"],
)
def test_validator_passes(served: NodeProcess, conformance: str) -> None:
    if not VALIDATOR.exists():
        pytest.fail(f"the offline validator wrapper is missing: {VALIDATOR}")
    cmd = [
        sys.executable,
        str(VALIDATOR),
        "--root-url",
        served.url,
        "--conformance",
        conformance,
        "--collection",
        "gf1-wfv",
        "--fields-nested-property",
        "properties.eo:cloud_cover",
        "--geometry",
        '{"type":"Polygon","coordinates":[[[100,20],[125,20],[125,45],[100,45],[100,20]]]}',
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
