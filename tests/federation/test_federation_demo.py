"""`symcat demo --federation` end to end: three labs and a hub, four real embedded
servers with logical replication, the labs' own embeddings and plane groups. What it
prints must be what the hub holds: each lab's shared scans, their plane groups (computed
at the lab with the default symmetry model), neighbours from more than one lab, and a map.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from symcat.config import Settings
from symcat.embed.registry import available, default_extractor
from symcat.embed.symmetry_store import SYMMETRY_MODEL
from symcat.federation.demo import LABS, run_federation_demo
from symcat.store.engine import stop_embedded

pytestmark = pytest.mark.skipif(
    not (available(default_extractor()) and available(SYMMETRY_MODEL)),
    reason="the default models' weights are not installed")


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[dict, str, Path]]:
    pytest.importorskip("umap")
    # our own folder, as tests/conftest.py's server has: another pytest run may delete
    # pytest's rotating tmp folders under four live servers
    data_dir = Path(tempfile.mkdtemp(prefix="symcat-fed-demo-"))
    lines: list[str] = []
    try:
        result = run_federation_demo(Settings(data_dir=data_dir), echo=lines.append)
        yield result, "\n".join(lines), data_dir / "federation-demo"
    finally:
        for name in ("hub", *(lab.site for lab in LABS)):
            if (data_dir / "federation-demo" / name / "pgdata").exists():
                stop_embedded(data_dir / "federation-demo" / name)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_each_lab_shares_what_it_says_and_the_hub_has_it(demo) -> None:
    result, text, _ = demo
    frame = result["hub"].scans()
    shared = {m.group(1): int(m.group(2))
              for m in re.finditer(r"^lab (\w+): \d+ scans, shares (\d+)", text, re.M)}
    assert set(shared) == {lab.site for lab in LABS}
    assert all(n > 0 for n in shared.values())
    assert frame["site"].value_counts().to_dict() == shared


def test_plane_groups_arrive_from_every_lab_as_printed(demo) -> None:
    result, text, _ = demo
    frame = result["hub"].scans()
    assert frame["symmetry"].notna().all()  # every shared scan's plane group came with it
    assert f"plane groups at the hub ({SYMMETRY_MODEL}" in text
    printed = text.split("by lab:\n", 1)[1].split("\n\n", 1)[0]
    for (site, group), n in frame.groupby("site")["symmetry"].value_counts().items():
        assert re.search(rf"^{site}\s+{group}\s+{n}$|^\s+{group}\s+{n}$", printed, re.M), \
            (site, group, n)


def test_neighbours_come_from_several_labs_and_the_map_is_written(demo) -> None:
    result, text, _ = demo
    hits = result["neighbors"]
    assert len(hits) == 8 and hits["site"].nunique() >= 2
    assert set(hits["site"]) <= {lab.site for lab in LABS}
    path = Path(result["map"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"map coloured by lab: {path}" in text
