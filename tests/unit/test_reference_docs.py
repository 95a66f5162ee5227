from __future__ import annotations

from pathlib import Path

from eonode.reference import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reference"


def test_reference_docs_match_the_code() -> None:
    """Settings, commands, errors and endpoints are documented exactly as the code has them."""
    assert main(["--check", str(DOCS)]) == 0, "run: python -m eonode.reference docs/reference"
