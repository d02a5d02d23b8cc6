"""The vendored reference data (tests/data/) are the files tests/data/README.md describes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROWS = re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \| (\d+) \|", (DATA / "README.md").read_text(
    encoding="utf-8"), flags=re.M)


def test_readme_lists_every_file():
    assert sorted(f for f, _, _ in ROWS) == sorted(p.name for p in DATA.iterdir()
                                                   if p.name != "README.md")


@pytest.mark.parametrize("name, sha, size", ROWS)
def test_checksum_and_size(name, sha, size):
    data = (DATA / name).read_bytes()
    assert len(data) == int(size)
    assert hashlib.sha256(data).hexdigest() == sha
