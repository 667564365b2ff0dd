"""symcat_symmetry.v32: square and hexagonal groups are ruled out on a lattice whose reduced
cell is clearly longer than wide (``equal_edges``), the edges compared in physical units
where the scan's pixel sizes are known. The scan is the demo's: a c/a twin checkerboard
of rectangular cells (19.3 x 24.0 px, square pixels) that v31 read p4m at 0.59.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from symcat.client import Catalog
from symcat.embed.symmetry.equal_edges import EQUAL_EDGED, EqualEdges, edge_ratio
from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.lattice import Lattice
from symcat.store.models import Scan, SymmetryPrediction

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V31 = json.loads((SYMMETRY / "weights_v31" / "config.json").read_text())
V32 = json.loads((SYMMETRY / "weights_v32" / "config.json").read_text())
DEMO_CHECKERBOARD = "BTO-270_0014.ibw"  # `symcat demo`'s seed 0, 48 files


def _lattice(a1: tuple[float, float], a2: tuple[float, float]) -> Lattice:
    return Lattice(True, a1=a1, a2=a2, score=1.0)


def _turned(v: tuple[float, float], degrees: float) -> tuple[float, float]:
    t = math.radians(degrees)
    return (v[0] * math.cos(t) - v[1] * math.sin(t), v[0] * math.sin(t) + v[1] * math.cos(t))


def test_v32_is_v31_with_equal_edges() -> None:
    assert V32["equal_edges"] == {"low": 1.15, "high": 1.5}
    same = {k: v for k, v in V32.items() if k not in ("name", "input", "equal_edges")}
    assert same == {k: v for k, v in V31.items() if k not in ("name", "input")}
    assert set(EQUAL_EDGED) == {"p4", "p4m", "p4g", "p3", "p3m1", "p31m", "p6", "p6m"}


@pytest.mark.parametrize("angle", [0.0, 17.0, 45.0, 108.0])
def test_edge_ratio_of_the_reduced_cell_at_any_angle(angle: float) -> None:
    def ratio(a1: tuple[float, float], a2: tuple[float, float], aspect=None) -> float:
        return edge_ratio(_lattice(_turned(a1, angle), _turned(a2, angle)), aspect)

    assert ratio((20, 0), (0, 20)) == pytest.approx(1.0)
    assert ratio((20, 0), (20, 20)) == pytest.approx(1.0)  # a skewed basis of a square lattice
    assert ratio((20, 0), (-10, 10 * math.sqrt(3))) == pytest.approx(1.0)  # hexagonal
    assert ratio((20, 0), (30, 10 * math.sqrt(3))) == pytest.approx(1.0)  # the same, skewed
    assert ratio((19.3, 0), (0, 24.0)) == pytest.approx(24.0 / 19.3)
    assert ratio((20, 0), (0, 40)) == pytest.approx(2.0)  # a 2 x 1 supercell of a square


def test_edge_ratio_in_physical_units() -> None:
    # square in physical units, scanned with pixels 0.8 as tall as wide: 20 x 25 px
    lat = _lattice((20.0, 0.0), (0.0, 25.0))
    assert edge_ratio(lat) == pytest.approx(1.25)
    assert edge_ratio(lat, 0.8) == pytest.approx(1.0)
    assert edge_ratio(lat, None) == edge_ratio(lat, 1.0)
    assert math.isnan(edge_ratio(Lattice(False, "no lattice")))


def test_the_band_rules_out_square_and_hexagonal_groups_only_there() -> None:
    rule = EqualEdges.from_config(V32["equal_edges"])
    probs = np.zeros(len(GROUPS) + 1)
    probs[[GROUPS.index("p4m"), GROUPS.index("p4"), GROUPS.index("pmm"), len(GROUPS)]] = \
        0.55, 0.3, 0.1, 0.05
    cases = {(20.0, 23.0): True,  # 1.15: refused
             (19.3, 24.0): True, (20.0, 29.0): True,
             (20.0, 22.9): False,  # drift and shear leave a square lattice this much
             (20.0, 30.0): False, (20.0, 40.0): False}  # supercells: left alone
    for (a, b), refused in cases.items():
        lat = _lattice((a, 0.0), (0.0, b))
        out = rule.adjust(probs, lat)
        assert rule.refuses(lat) == refused, (a, b)
        if refused:
            assert out[[GROUPS.index(g) for g in EQUAL_EDGED]].sum() == 0.0
            assert out.sum() == pytest.approx(1.0)
            assert out[GROUPS.index("pmm")] == pytest.approx(0.1 / 0.15)
        else:
            assert out is probs
    assert rule.adjust(probs, Lattice(False, "no lattice")) is probs
    only_square = np.zeros(len(GROUPS) + 1)
    only_square[GROUPS.index("p4m")] = 1.0  # nothing would be left: unchanged
    assert rule.adjust(only_square, _lattice((20.0, 0.0), (0.0, 24.0))) is only_square


def _squaring(lat: Lattice) -> float:
    """A pixel aspect under which ``lat``'s cell has (nearly) equal edges in physical units:
    the checkerboard's cell is turned 52 degrees, so no aspect makes it square, but some
    make it a rhombus of equal edges, which the rule does not refuse."""
    aspects = np.linspace(0.5, 2.0, 301)
    best = float(aspects[np.argmin([edge_ratio(lat, a) for a in aspects])])
    assert edge_ratio(lat, best) < 1.05 and EqualEdges().refuses(lat)
    return best


@pytest.fixture(scope="module")
def checkerboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's checkerboard scan, written as `symcat demo` writes it."""
    from symcat.ingest.synth.dataset import make_file, plan

    root = tmp_path_factory.mktemp("demo")
    job = next(j for j in plan(48, seed=0) if j.relpath.endswith(DEMO_CHECKERBOARD))
    return make_file(job, root).path


def test_the_demo_checkerboard_is_no_longer_p4m(symmetry_extractor, checkerboard: Path) -> None:
    from symcat.embed.plane_groups import classify, read_inputs

    files = [(checkerboard.name, checkerboard)]
    v31 = next(classify(read_inputs(files), "v31", workers=0))
    v32 = next(classify(read_inputs(files), "v32", workers=0))
    assert v31["symmetry"] == "p4m" and 0.5 < v31["p"] < 0.7
    assert sorted([v31["period_a_px"], v31["period_b_px"]]) == \
        pytest.approx([19.3, 24.0], abs=0.2)
    assert v32["symmetry"] not in EQUAL_EDGED and v32["top_group"] not in EQUAL_EDGED


def test_the_pixel_aspect_decides(symmetry_extractor, checkerboard: Path) -> None:
    """The same pixels with a pixel aspect under which the cell's edges are equal in
    physical units: the rule no longer fires and v31's answer stands."""
    from symcat.embed.plane_groups import pixels_of, read_inputs

    image = next(read_inputs([(checkerboard.name, checkerboard)]))
    assert image.pixel_aspect == pytest.approx(1.0)
    pixels, _ = pixels_of(image)
    v32 = symmetry_extractor("v32")
    square_pixels = v32.analyse([pixels])[0]
    lat = square_pixels.lattice
    aspect = _squaring(lat)
    physical = v32.analyse([pixels], pixel_aspects=[aspect])[0]
    assert square_pixels.symmetry != "p4m" and physical.symmetry == "p4m"
    with pytest.raises(ValueError, match="2 pixel aspects for 1 images"):
        v32.analyse([pixels], pixel_aspects=[1.0, 1.0])


def test_predict_catalog_reads_the_scan_size(symmetry_extractor, catalog: Catalog,
                                             checkerboard: Path) -> None:
    """The stored prediction compares edges in the catalogued scan's physical units: with
    the scan's y size changed so its pixels make the cell's edges equal, p4m stands."""
    from symcat.embed.plane_groups import catalogued_input, pixels_of
    from symcat.embed.symmetry_store import predict_catalog

    symmetry_extractor("v32")  # skips where the weights are not installed
    catalog.ingest([checkerboard], jobs=1)
    scan_id = catalog.scans().iloc[0]["id"]

    def stored() -> str:
        with catalog.engine.begin() as conn:
            answer = conn.execute(select(SymmetryPrediction.symmetry)).scalar_one()
            conn.execute(SymmetryPrediction.__table__.delete())
        return answer

    assert predict_catalog(catalog.engine, "symcat_symmetry.v32", workers=0) == 1
    assert stored() != "p4m"
    scan = catalog.scan(scan_id)
    pixels, _ = pixels_of(catalogued_input(str(scan_id), scan.channels, scan.document))
    lat = symmetry_extractor("v32").analyse([pixels])[0].lattice
    aspect = _squaring(lat)
    with catalog.engine.begin() as conn:
        conn.execute(update(Scan).where(Scan.id == scan_id)
                     .values(scan_size_y_m=Scan.scan_size_y_m * aspect))
    assert predict_catalog(catalog.engine, "symcat_symmetry.v32", workers=0) == 1
    assert stored() == "p4m"
