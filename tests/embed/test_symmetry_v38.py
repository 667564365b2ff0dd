"""symcat_symmetry.v38: a scan whose lattice lies near a more symmetric one is read again,
resampled onto it by a map that keeps rows as rows (``rectify``,
`symcat.embed.symmetry.rectify`), and the surer reading is kept; its lattice is reported
in the scan's own pixels, and a scan with nothing to restore is read exactly as v37
reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import assert_read_alike  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V37 = json.loads((SYMMETRY / "weights_v37" / "config.json").read_text())
V38 = json.loads((SYMMETRY / "weights_v38" / "config.json").read_text())
# distorted glyph scans of seeds 109 and 113's benchmark (drawn by
# `heldout_wallpaper.render`: fast-axis gain, shear, bending drift, line offsets, missing
# lines, noise) that v37 reads as a subgroup or p1, and the lattice v38 restores
DISTORTED = [
    ({"group": "p3m1", "cells": 9.074122438296353, "size": 192, "seed": 586264233},
     "hexagonal"),
    ({"group": "pmm", "cells": 29.986677982472568, "size": 384, "seed": 387417069},
     "rectangular"),
    ({"group": "cm", "cells": 21.767350481383673, "size": 192, "seed": 1496874636},
     "rhombic"),
    ({"group": "p4m", "cells": 9.224231285310388, "size": 384, "seed": 50980186}, "square"),
]


def _scan(item: dict, distort: bool = True) -> np.ndarray:
    return heldout.make({**item, "distort": distort, "bin": "8-16", "motif": "glyph"})


def test_v38_is_v37_with_rectify() -> None:
    assert V38["rectify"] == {"max_ratio": 1.2, "max_degrees": 8.0, "centred_slack": 0.07,
                              "min_change": 0.01, "min_side": 32}
    same = {k: v for k, v in V38.items()
            if k not in ("name", "input", "recipe_from", "rectify")}
    assert same == {k: v for k, v in V37.items() if k not in ("name", "input", "recipe_from")}


def _distorted() -> list[np.ndarray]:
    """The scans of `DISTORTED` (which v39's tests read too)."""
    return [_scan(item) for item, _ in DISTORTED]


@pytest.mark.parametrize("k", range(len(DISTORTED)), ids=[i["group"] for i, _ in DISTORTED])
def test_v38_reads_distorted_scans(stock_readings, k: int) -> None:
    """(Each version reads the four scans once a session; v39's tests read them too.)"""
    item, kind = DISTORTED[k]
    scans = _distorted()
    old, new = stock_readings("v37", scans)[k], stock_readings("v38", scans)[k]
    assert old.symmetry != item["group"]
    assert new.symmetry == item["group"], (item, new.symmetry, new.p, new.seen)
    assert new.seen.endswith(f", rectified ({kind})")
    # the lattice in the scan's own pixels: the one v37 found there, not the restored one
    assert sorted(new.lattice.periods) == pytest.approx(sorted(old.lattice.periods),
                                                        rel=0.1)


def test_scans_with_nothing_to_restore_read_as_by_v37(symmetry_extractor) -> None:
    """A pattern on an exact lattice (the same scans undistorted), a lattice near no more
    symmetric one, and a scan with no lattice: v38's readings are v37's."""
    from symcat.ingest.synth.domains import random_scene, render

    v37, v38 = symmetry_extractor("v37"), symmetry_extractor("v38")
    rng = np.random.default_rng(38)
    images = [_scan(item, distort=False) for item, _ in DISTORTED[:2]]
    images.append(heldout.make({"group": "p2", "cells": 10.0, "size": 256, "distort": False,
                                "bin": "8-16", "seed": 12, "motif": "gaussian"}))
    images.append(np.asarray(render(random_scene("labyrinth", rng, points=256), rng).phase1,
                             float))
    olds, news = v37.analyse(images, workers=2), v38.analyse(images, workers=2)
    for old, new in zip(olds, news, strict=True):
        assert_read_alike(new, old)
        assert "rectified" not in new.seen


def test_the_surer_reading_is_kept(symmetry_extractor, stock_readings) -> None:
    """Read again, a scan is answered by whichever reading is surer: never by a second
    reading that abstains, and the first where it is the surer."""
    scans = _distorted()
    both = stock_readings("v38", scans)
    v38 = symmetry_extractor("v38")
    v38.rectify = None  # the first reading alone (v37's)
    first = v38.analyse(scans, workers=2)
    for one, kept in zip(first, both, strict=True):
        assert not kept.abstained
        assert kept.p >= one.p or one.abstained
