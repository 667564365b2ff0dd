"""Symmetry predictions are stored with calibrated probability and abstention, and filter.

Synthetic DART domain scans (non-periodic) go through `predict_catalog` with the shipped
v2 weights on the CPU: each gets a row, they abstain ('none'), a rerun adds nothing,
and the `symmetry` / `symmetry_p` filters select them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from symcat.client import Catalog
from symcat.embed.registry import available
from symcat.embed.symmetry_store import SYMMETRY_MODEL, predict_catalog
from symcat.store.models import SymmetryPrediction

pytestmark = pytest.mark.skipif(not available(SYMMETRY_MODEL), reason="v2 weights missing")


@pytest.fixture(scope="module")
def domain_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from symcat.ingest.synth.dataset import generate_dataset

    root = tmp_path_factory.mktemp("synth")
    generate_dataset(root, 4, seed=5, points=96, classes=["labyrinth", "bubble"])
    return root


def test_predictions_are_stored_resumably_and_filter(catalog: Catalog, domain_files: Path):
    catalog.ingest([domain_files], jobs=1)
    n = len(catalog.scans())
    assert predict_catalog(catalog.engine, batch_size=3) == n
    assert predict_catalog(catalog.engine) == 0  # resumable: nothing left to do
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(SymmetryPrediction.__table__)).all()
        assert conn.execute(select(func.count()).select_from(SymmetryPrediction)).scalar() == n
    assert all(0.0 <= r.probability <= 1.0 and r.top_group for r in rows)
    none = [r for r in rows if r.symmetry == "none"]
    assert len(none) >= n - 1 and all(r.reason for r in none)
    assert len(catalog.scans("symmetry = none")) == len(none)
    assert len(catalog.scans("symmetry = p4m and symmetry_p >= 0.9")) == sum(
        r.symmetry == "p4m" and r.probability >= 0.9 for r in rows)
    assert len(catalog.scans(symmetry="none")) == len(none)


def test_worker_processes_store_the_same_predictions(catalog: Catalog, domain_files: Path):
    """Lattice and cell estimates in 2 forked processes: the same rows as in this one."""
    catalog.ingest([domain_files], jobs=1)
    n = len(catalog.scans())
    columns = ("scan_id", "symmetry", "probability", "top_group", "period_a_px", "reason")

    def stored() -> list[tuple]:
        with catalog.engine.begin() as conn:
            rows = conn.execute(select(*(SymmetryPrediction.__table__.c[c] for c in columns))
                                .order_by(SymmetryPrediction.scan_id)).all()
            conn.execute(SymmetryPrediction.__table__.delete())
        return [tuple(r) for r in rows]

    assert predict_catalog(catalog.engine, workers=2) == n
    forked = stored()
    assert predict_catalog(catalog.engine, workers=0) == n
    here = stored()
    assert len(forked) == n and [r[:2] + r[3:] for r in forked] == [r[:2] + r[3:] for r in here]
    assert [r[2] for r in forked] == pytest.approx([r[2] for r in here], abs=1e-5)


def test_the_filter_reads_the_newest_version(catalog: Catalog, domain_files: Path):
    """v11's answer stands beside v9's, also where v9's id is the higher one (ids are
    hashes of the names: the old rule, highest id, picked v9 here)."""
    catalog.ingest([domain_files], jobs=1)
    scan = catalog.scans().iloc[0]["id"]
    with catalog.engine.begin() as conn:
        def model_id(name: str) -> int:
            return conn.execute(text("SELECT symcat_model_id(:n)"), {"n": name}).scalar_one()

        # stored names carry the weights and the preprocessing (registry.ExtractorCfg)
        v11 = "symcat_symmetry.v11@0123456789ab-pp1"
        v9 = next(n for n in (f"symcat_symmetry.v9@{k:012x}-pp1" for k in range(100))
                  if model_id(n) > model_id(v11))
        ids = {}
        for name in (v11, v9, "lab.custom_symmetry"):
            ids[name] = conn.execute(text(
                "INSERT INTO embedding_models (name, family, dim, config) "
                "VALUES (:n, 'symcat_symmetry', 512, '{}') RETURNING id"), {"n": name}
            ).scalar_one()
        assert ids[v9] > ids[v11] and ids[v11] == model_id(v11)

        def predict(name: str, group: str, p: float) -> None:
            conn.execute(text(
                "INSERT INTO symmetry_predictions (scan_id, model_id, symmetry, probability, "
                "p_none, top_group, reason) VALUES (:s, :m, :g, :p, 0, :g, '')"),
                {"s": scan, "m": ids[name], "g": group, "p": p})

        predict(v11, "p4m", 0.95)
        predict(v9, "pmm", 0.6)
        predict("lab.custom_symmetry", "p2", 0.99)  # no version: after versioned ones
    assert list(catalog.scans("symmetry = p4m and symmetry_p >= 0.9")["id"]) == [scan]
    assert catalog.scans("symmetry = pmm").empty and catalog.scans("symmetry = p2").empty
    # what a scientist sees is what the filter reads: the listing, the CLI and map points
    frame = catalog.scans()
    shown = frame.set_index("id")
    assert (shown.loc[scan, "symmetry"], shown.loc[scan, "symmetry_p"]) == ("p4m", 0.95)
    others = frame[frame["id"] != scan]
    assert len(others) == 3 and others["symmetry"].isna().all()
    assert others["symmetry_p"].isna().all()
    from click.testing import CliRunner

    import symcat.cli.browse  # noqa: F401  (registers the command)
    from symcat.cli import cli
    from symcat.project.run import point_metadata

    url = catalog.settings.database_url
    table = CliRunner().invoke(cli, ["--database-url", url, "scans"])
    assert table.exit_code == 0 and table.output.splitlines()[0].split()[-2:] == \
        ["symmetry", "file_name"]
    assert sum("p4m 0.95" in line for line in table.output.splitlines()) == 1
    rows = CliRunner().invoke(cli, ["--database-url", url, "scans", "--format", "json"])
    import json

    listed = {r["id"]: r for r in json.loads(rows.output)}
    assert listed[str(scan)]["symmetry"] == "p4m" and listed[str(scan)]["symmetry_p"] == 0.95
    points = point_metadata(catalog.engine, list(frame["id"])).set_index("id")
    assert points.loc[scan, "symmetry"] == "p4m" and points["symmetry"].notna().sum() == 1
