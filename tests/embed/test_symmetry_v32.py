"""symcat_symmetry.v32: square and hexagonal groups are ruled out on a lattice whose reduced
cell is clearly longer than wide (``equal_edges``), the edges compared in physical units
where the scan's pixel sizes are known. The scan is the demo's: a c/a twin checkerboard
of rectangular cells (19.3 x 24.0 px, square pixels) that v31 read p4m at 0.59.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text, update

from symcat.client import Catalog
from symcat.embed.symmetry.equal_edges import EQUAL_EDGED, EqualEdges, edge_ratio
from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.lattice import Lattice, square_pixels
from symcat.store.models import Scan, SymmetryPrediction

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V31 = json.loads((SYMMETRY / "weights_v31" / "config.json").read_text())
V32 = json.loads((SYMMETRY / "weights_v32" / "config.json").read_text())
DEMO_CHECKERBOARD = "BTO-270_0014.ibw"  # `symcat demo`'s seed 0, 48 files
# a clean pattern of the held-out generator, 10 cells across 256 px
PATTERN = {"group": "p4m", "cells": 10.0, "size": 256, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}


def _lattice(a1: tuple[float, float], a2: tuple[float, float]) -> Lattice:
    return Lattice(True, a1=a1, a2=a2, score=1.0)


def _turned(v: tuple[float, float], degrees: float) -> tuple[float, float]:
    t = math.radians(degrees)
    return (v[0] * math.cos(t) - v[1] * math.sin(t), v[0] * math.sin(t) + v[1] * math.cos(t))


def test_v32_is_v31_with_equal_edges() -> None:
    assert V32["equal_edges"] == {"low": 1.15, "high": 1.5}
    assert V32["square_pixels"] is True
    same = {k: v for k, v in V32.items()
            if k not in ("name", "input", "equal_edges", "square_pixels")}
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


@pytest.fixture(scope="module")
def checkerboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's checkerboard scan, written as `symcat demo` writes it."""
    from symcat.ingest.synth.dataset import make_file, plan

    root = tmp_path_factory.mktemp("demo")
    job = next(j for j in plan(48, seed=0) if j.relpath.endswith(DEMO_CHECKERBOARD))
    made = make_file(job, root)
    truth[made.path] = made
    return made.path


truth: dict[Path, Any] = {}  # the generated file's ground truth (`SynthFile`)


def test_the_demo_checkerboard_is_no_longer_p4m(symmetry_extractor, checkerboard: Path) -> None:
    from symcat.embed.plane_groups import classify, read_inputs

    files = [(checkerboard.name, checkerboard)]
    v31 = next(classify(read_inputs(files), "v31", workers=0))
    v32 = next(classify(read_inputs(files), "v32", workers=0))
    assert v31["symmetry"] == "p4m" and 0.5 < v31["p"] < 0.7
    assert sorted([v31["period_a_px"], v31["period_b_px"]]) == \
        pytest.approx([19.3, 24.0], abs=0.2)
    assert v32["symmetry"] not in EQUAL_EDGED and v32["top_group"] not in EQUAL_EDGED
    width = 16e-6 / 256  # the scan: 16 um, 256 points
    assert v32["period_a_m"] == pytest.approx(v32["period_a_px"] * width, rel=1e-3)
    assert v32["period_b_m"] == pytest.approx(v32["period_b_px"] * width, rel=1e-3)
    # the generator's truth: twin period p along one direction, p x aspect along the other
    made = truth[checkerboard]
    expected = sorted([made.period, made.period * made.extra["aspect"]])
    assert [v32["period_a_m"], v32["period_b_m"]] == pytest.approx(expected, rel=0.03)


@pytest.mark.parametrize(("motif", "drawn"), [
    ("glyph", (("p4m", 1.5), ("p6m", 0.7), ("p3", 1.5))),
    ("fourier", (("p4m", 0.7), ("p6m", 1.5), ("p3", 0.7)))], ids=["glyph", "fourier"])
def test_scans_of_non_square_pixels_are_read_on_square_ones(
        symmetry_extractor, motif: str, drawn: tuple[tuple[str, float], ...]) -> None:
    """A clean pattern scanned with rows 1.5 times as dense as its columns (pixels 1/1.5 as
    tall as wide), or 0.7 times: read without its pixel aspect, its square and hexagonal
    lattices look rectangular or centred and v31 reads p2, cmm or p1; v32 given the
    aspect resamples the scan to square pixels and reads the group drawn. (Each group of
    each motif at one of the two row densities, each group at both across the motifs.)"""
    from scipy import ndimage

    v31, v32 = symmetry_extractor("v31"), symmetry_extractor("v32")
    assert {rows for _, rows in drawn} == {1.5, 0.7}
    images = {group: heldout.make({**PATTERN, "group": group, "motif": motif})
              for group, _ in drawn}
    scans = [ndimage.zoom(images[group], (rows, 1.0), order=1) for group, rows in drawn]
    aspects = [1 / rows for _, rows in drawn]
    for (group, rows), old, square, right in zip(
            drawn, v31.analyse(scans, pixel_aspects=aspects, workers=2),
            v32.analyse(scans, workers=2),
            v32.analyse(scans, pixel_aspects=aspects, workers=2), strict=True):
        assert old.symmetry != group
        assert square.symmetry != group
        assert right.symmetry == group and right.p > 0.9, (group, rows)
        a, b = right.lattice.periods  # in the scan's pixel widths: equal edges
        assert a == pytest.approx(b, rel=0.03)
        assert a == pytest.approx(256 / PATTERN["cells"], rel=0.05)  # as drawn
    with pytest.raises(ValueError, match="2 pixel aspects for 1 images"):
        v32.analyse([images["p3"]], pixel_aspects=[1.0, 1.0])


def test_square_pixels_resamples_only_where_it_must() -> None:
    image = np.arange(40 * 60, dtype=np.float32).reshape(40, 60)
    assert square_pixels(image, None) == (image, None)
    assert square_pixels(image, 1.01) == (image, 1.01)  # within 2%: read as is
    tall, left = square_pixels(image, 2.0)  # pixels twice as tall: twice the rows
    assert tall.shape == (80, 60) and left is None
    wide, _ = square_pixels(image, 0.5)  # half as tall: the columns doubled, never halved
    assert wide.shape == (40, 120)
    for nonsense in (1e-3, 1e3):  # metadata no scan has: read as it is, as square
        assert square_pixels(image, nonsense) == (image, None)
    holed = image.copy()
    holed[3, 4] = np.nan
    assert np.isfinite(square_pixels(holed, 2.0)[0]).all()


def test_predict_catalog_reads_the_scan_size(symmetry_extractor, catalog: Catalog,
                                             checkerboard: Path) -> None:
    """`predict_catalog` reads each scan with its pixel aspect from the catalogued scan
    size: with the scan's y size halved (pixels half as tall as wide), the stored answer
    is the one `analyse` gives the pixels with aspect 0.5, measured on the resampled scan
    (its lattice another: half as tall), not the one it gives them as square."""
    from symcat.embed.plane_groups import catalogued_input, pixels_of
    from symcat.embed.symmetry_store import predict_catalog

    v32 = symmetry_extractor("v32")
    catalog.ingest([checkerboard], jobs=1)
    scan_id = catalog.scans().iloc[0]["id"]
    scan = catalog.scan(scan_id)
    pixels, _ = pixels_of(catalogued_input(str(scan_id), scan.channels, scan.document))
    with catalog.engine.begin() as conn:
        conn.execute(update(Scan).where(Scan.id == scan_id)
                     .values(scan_size_y_m=Scan.scan_size_y_m * 0.5))
    assert predict_catalog(catalog.engine, "symcat_symmetry.v32", workers=0) == 1
    with catalog.engine.connect() as conn:
        stored = conn.execute(select(SymmetryPrediction.__table__)).one()
    halved = v32.analyse([pixels], pixel_aspects=[0.5])[0]
    square = v32.analyse([pixels])[0]
    assert (stored.symmetry, stored.top_group) == (halved.symmetry, halved.top_group)
    assert stored.probability == pytest.approx(halved.p, abs=1e-5)
    assert stored.period_a_px == pytest.approx(min(halved.lattice.periods), rel=1e-6)
    assert sorted(halved.lattice.periods) != pytest.approx(sorted(square.lattice.periods),
                                                           rel=0.05)


def test_pictures_and_arrays_take_a_pixel_aspect(symmetry_extractor, catalog: Catalog,
                                                 tmp_path: Path) -> None:
    """Pictures and arrays carry no pixel size: `symcat symmetry --pixel-aspect` and
    `Catalog.plane_groups(pixel_aspect=)` give it; without it they are read as square."""
    from click.testing import CliRunner
    from PIL import Image
    from scipy import ndimage

    import symcat.cli.symmetry  # noqa: F401  (registers the command)
    from symcat.cli import cli

    symmetry_extractor("v32")
    image = heldout.make(PATTERN)
    scanned = ndimage.zoom(image, (1.5, 1.0), order=1)  # pixels 1/1.5 as tall as wide
    grey = np.clip((scanned - scanned.min()) / np.ptp(scanned) * 255, 0, 255).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "p4m.png")
    runner = CliRunner()
    plain = runner.invoke(cli, ["symmetry", str(tmp_path / "p4m.png"), "--format", "csv",
                                "--no-progress", "-j", "0"])
    given = runner.invoke(cli, ["symmetry", str(tmp_path / "p4m.png"), "--format", "csv",
                                "--no-progress", "-j", "0", "--pixel-aspect", str(1 / 1.5)])
    assert plain.exit_code == 0 and given.exit_code == 0, plain.output + given.output
    assert "\np4m.png,p4m," not in plain.output.replace(str(tmp_path) + "/", "")
    assert "p4m.png,p4m," in given.output.replace(str(tmp_path) + "/", "")
    frame = catalog.plane_groups([scanned, scanned], pixel_aspect=1 / 1.5, workers=2)
    assert list(frame["symmetry"]) == ["p4m", "p4m"]
    assert catalog.plane_groups(scanned, workers=0)["symmetry"][0] != "p4m"
    for bad in (0.0, -2.0, float("nan")):
        with pytest.raises(ValueError, match="pixel_aspect"):
            catalog.plane_groups(scanned, pixel_aspect=bad)
    refused = runner.invoke(cli, ["symmetry", str(tmp_path / "p4m.png"), "--pixel-aspect", "0"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_the_stored_lattice_in_metres_is_filterable_and_shown(symmetry_extractor,
                                                               catalog: Catalog,
                                                               checkerboard: Path) -> None:
    """The lattice a stored prediction found, in metres: the filters `lattice_a_m` and
    `lattice_b_m`, `Catalog.scans()`'s columns, `symcat scans`' cell column and `symcat
    show`. Converted when read, from the scan's x size over its columns, so a corrected
    scan size converts it anew."""
    from click.testing import CliRunner

    import symcat.cli.browse  # noqa: F401  (registers the commands)
    from symcat.cli import cli
    from symcat.embed.symmetry_store import predict_catalog

    symmetry_extractor("v32")  # skips where the weights are not installed
    catalog.ingest([checkerboard], jobs=1)
    assert predict_catalog(catalog.engine, "symcat_symmetry.v32", workers=0) == 1
    made = truth[checkerboard]
    a, b = sorted([made.period, made.period * made.extra["aspect"]])  # the generator's
    row = catalog.scans().iloc[0]
    assert [row["lattice_a_m"], row["lattice_b_m"]] == pytest.approx([a, b], rel=0.03)
    um = 1e6
    assert catalog.count(f"lattice_a_m between {a * 0.97 * um:.4f}um and {a * 1.03 * um:.4f}um"
                         f" and lattice_b_m > {a * 1.1 * um:.4f}um") == 1
    assert catalog.count(f"lattice_a_m > {b * um:.4f}um") == 0
    assert catalog.count("lattice_a_m is null") == 0

    env = {"SYMCAT_DATABASE_URL": catalog.settings.database_url or ""}
    runner = CliRunner()
    table = runner.invoke(cli, ["scans"], env=env)
    assert table.exit_code == 0, table.output
    header, line = table.output.splitlines()[:2]
    assert "cell" in header.split()
    cell = re.search(r"([0-9.]+) x ([0-9.]+) um", line)
    assert cell and [float(cell[1]), float(cell[2])] == pytest.approx([a * um, b * um], rel=0.03)
    shown = runner.invoke(cli, ["show", str(row["id"])], env=env)
    assert shown.exit_code == 0, shown.output
    [stored] = json.loads(shown.output)["symmetry"]
    assert stored["model"].startswith("symcat_symmetry.v32")
    assert stored["lattice_a_m"] == pytest.approx(row["lattice_a_m"], rel=1e-6)
    assert stored["period_a_px"] * 16e-6 / 256 == pytest.approx(stored["lattice_a_m"], rel=1e-5)
    document = json.loads(runner.invoke(cli, ["show", str(row["id"]), "--document"],
                                        env=env).output)
    assert "symmetry" not in document and document["record_kind"] == "image"

    # SQL: the view symmetry_summary holds the newest model's, in micrometres, even after
    # an older version ran again (as the filters read it)
    assert predict_catalog(catalog.engine, "symcat_symmetry.v31", workers=0) == 1
    with catalog.engine.connect() as conn:
        [view] = conn.execute(text("SELECT * FROM symmetry_summary")).mappings().all()
    assert view["model"].startswith("symcat_symmetry.v32") and view["scan_id"] == row["id"]
    assert (view["symmetry"], view["symmetry_p"]) == (row["symmetry"],
                                                      pytest.approx(row["symmetry_p"]))
    assert view["lattice_a_um"] == pytest.approx(row["lattice_a_m"] * um, rel=1e-6)
    assert view["lattice_b_um"] == pytest.approx(row["lattice_b_m"] * um, rel=1e-6)
    assert catalog.scans().iloc[0]["lattice_a_m"] == pytest.approx(row["lattice_a_m"])

    with catalog.engine.begin() as conn:  # the scan size corrected: twice as wide
        conn.execute(update(Scan).values(scan_size_x_m=Scan.scan_size_x_m * 2))
    assert catalog.scans().iloc[0]["lattice_a_m"] == pytest.approx(2 * row["lattice_a_m"])
    assert catalog.count(f"lattice_a_m > {a * 1.5 * um:.4f}um") == 1
