"""The shipped symmetry extractor loads offline on the CPU and behaves as documented."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch

from symcat.embed import packed
from symcat.embed.symmetry.extract import WEIGHTS_DIR, SymmetryExtractor
from symcat.embed.symmetry.groups import GROUPS
from training.symmetry.export import export
from training.symmetry.generate import generate
from training.symmetry.train import main as train_main


@pytest.fixture(scope="module")
def extractor() -> SymmetryExtractor:
    torch.set_num_threads(2)
    return SymmetryExtractor(mc_samples=8)


@pytest.fixture(scope="module")
def one_per_group() -> torch.Tensor:
    g = torch.Generator().manual_seed(11)
    return generate(torch.arange(len(GROUPS)), "noise", g).images


def test_weight_parts_are_small_and_fp16():
    parts = packed.find(WEIGHTS_DIR, "model.part*.safetensors")
    assert parts and all(p.stat().st_size < 16 * 1024 * 1024 for p in parts)
    cfg = json.loads((WEIGHTS_DIR / "config.json").read_text())
    assert set(cfg["files"]) == {packed.plain_name(p) for p in parts}
    assert cfg["groups"] == list(GROUPS)


def test_features_are_512d_and_deterministic(extractor, one_per_group):
    a = extractor.features(one_per_group[:4])
    b = extractor.features(one_per_group[:4])
    assert a.shape == (4, 512) and a.dtype == np.float32
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_classifies_clean_patterns(extractor, one_per_group):
    pred = extractor.predict(one_per_group, k=3)
    top1 = [row[0] for row in pred.groups]
    correct = sum(t == g for t, g in zip(top1, GROUPS, strict=True))
    assert correct >= 16, list(zip(top1, GROUPS, strict=True))


def test_prediction_fields_are_consistent(extractor, one_per_group):
    x = one_per_group[:5]
    pred = extractor.predict(x, k=3)
    assert [len(r) for r in pred.groups] == [3] * 5
    assert (np.diff(pred.probs, axis=1) <= 1e-6).all()
    np.testing.assert_allclose(pred.mean_probs.sum(1), 1.0, atol=1e-5)
    assert ((pred.entropy >= 0) & (pred.entropy <= math.log(len(GROUPS)) + 1e-6)).all()
    assert (pred.mutual_info >= 0).all() and (pred.top1_std >= 0).all()
    again = extractor.predict_from_features(extractor.features(x), k=3)
    np.testing.assert_allclose(again.probs, pred.probs, atol=1e-5)


def test_rgb_and_non_square_inputs_follow_the_input_policy(extractor, one_per_group):
    grey = one_per_group[:2]
    rgb = grey.expand(-1, 3, -1, -1)
    np.testing.assert_allclose(extractor.features(rgb), extractor.features(grey), atol=1e-4)
    wide = torch.cat([torch.zeros(2, 1, 256, 20), grey, torch.ones(2, 1, 256, 20)], -1)
    np.testing.assert_allclose(extractor.features(wide), extractor.features(grey), atol=1e-4)
    np.testing.assert_allclose(extractor.features(grey[:, 0].numpy()),
                               extractor.features(grey), atol=1e-5)


def test_bad_shape_is_refused(extractor):
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 1 or 3, H, W\)"):
        extractor.features(torch.zeros(2, 4, 64, 64))


def test_tampered_weights_are_refused(tmp_path):
    shutil.copytree(WEIGHTS_DIR, tmp_path / "w")
    cfg = json.loads((tmp_path / "w" / "config.json").read_text())
    first = sorted(cfg["files"])[0]
    cfg["files"][first] = "0" * 64
    (tmp_path / "w" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="does not match its sha256"):
        SymmetryExtractor(tmp_path / "w")


def test_training_resumes_from_its_state_folder(tmp_path):
    args = ["--out", str(tmp_path), "--steps", "2", "--batch", "4", "--eval-n", "0",
            "--warmup", "1", "--log-every", "1", "--input", "gray"]
    assert train_main(args)["step"] == 2
    state = train_main([*args[:3], "4", *args[4:]])
    assert state["step"] == 4 and [e["step"] for e in state["log"]] == [1, 2, 3, 4]
    # exported as shipped: packed parts whose plain sha256s config.json lists, loadable
    cfg = export(tmp_path, tmp_path / "shipped")
    parts = sorted(p.name for p in (tmp_path / "shipped").glob("model.*"))
    assert parts == [f"{name}{packed.SUFFIX}" for name in sorted(cfg["files"])]
    assert SymmetryExtractor(tmp_path / "shipped").name == cfg["name"]


# -- v2: lattice-aware, calibrated, with abstention (issue 12) --------------------------


@pytest.fixture(scope="module")
def v2() -> SymmetryExtractor:
    from symcat.embed.symmetry.extract import WEIGHTS_V2_DIR

    return SymmetryExtractor(WEIGHTS_V2_DIR)


def test_v2_is_calibrated_and_has_a_none_class(v2):
    assert v2.groups == (*GROUPS, "none") and v2.has_none_class
    assert v2.temperature > 0 and 0 < v2.abstain_below < 1
    assert "calibration" in v2.config


def test_v2_bad_input_is_none_with_a_reason_never_a_crash(v2):
    bad = [np.zeros((10, 10)), np.ones((64, 64)), np.full((64, 64), np.nan),
           np.zeros((2, 2, 2, 2)), np.zeros((0, 50))]
    for r in v2.analyse(bad):
        assert r.symmetry == "none" and r.abstained and r.reason
        assert r.features.shape == (512,)


def test_v2_abstains_on_non_periodic_domain_images(v2):
    from symcat.ingest.synth.domains import random_scene, render

    rng = np.random.default_rng(2)
    imgs = [render(random_scene(c, rng), rng).phase1 for c in ("labyrinth", "bubble")]
    for r in v2.analyse(imgs):
        assert r.symmetry == "none" and "lattice" in r.reason


def test_v2_names_the_group_of_a_clear_lattice(v2):
    g = torch.Generator().manual_seed(3)
    imgs = generate(torch.tensor([10, 16]), "noise", g, size=256).images[:, 0].numpy()
    res = v2.analyse(list(imgs))
    assert [r.top_group for r in res] == ["p4m", "p6m"]
    assert all(r.lattice.found and 0 < r.p <= 1 for r in res)


def test_temperature_fit_recovers_a_known_temperature():
    from training.symmetry.calibrate import fit_temperature

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 18))
    z = logits / 2.0
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = np.array([rng.choice(18, p=row) for row in p])
    assert abs(fit_temperature(logits, y) - 2.0) < 0.2


# -- v3: v2's network, stricter lattice test, temperature from 600+ images ---------------


def test_v3_reuses_v2_files_and_keeps_v2_answers(v2):
    from symcat.embed.symmetry.extract import WEIGHTS_V2_DIR, WEIGHTS_V3_DIR

    v3 = SymmetryExtractor(WEIGHTS_V3_DIR)
    assert v3.name == "symcat_symmetry.v3" and v3.files_dir == WEIGHTS_V2_DIR.resolve()
    assert not packed.find(WEIGHTS_V3_DIR, "*.safetensors")  # no second copy of the weights
    assert v3.max_aspect == 3.0 and v2.max_aspect is None
    assert v3.fine is not None and v3.fine.min_cells == 12 and v2.fine is None
    assert v3.config["calibration"]["validation_images"] >= 600
    g = torch.Generator().manual_seed(3)
    imgs = list(generate(torch.tensor([10, 16]), "noise", g, size=256).images[:, 0].numpy())
    old, new = v2.analyse(imgs), v3.analyse(imgs)
    assert [r.top_group for r in new] == ["p4m", "p6m"]
    for a, b in zip(old, new, strict=True):  # the same cell (sub-pixel shifts from the
        # low-pass), so views of the same scale within 1%: features nearly the same
        assert np.allclose(sorted(a.lattice.periods), sorted(b.lattice.periods), rtol=0.01)
        cos = a.features @ b.features / np.linalg.norm(a.features) / np.linalg.norm(b.features)
        assert cos > 0.98


def test_v3_bad_input_is_none_and_its_registry_module_embeds():
    """Bad pixels never crash v3; the registry module (what `symcat embed` runs; on a GPU
    its views follow the network to the device) gives 512 finite features."""
    from symcat.embed.registry import create_extractor
    from symcat.embed.symmetry.extract import WEIGHTS_V3_DIR

    v3 = SymmetryExtractor(WEIGHTS_V3_DIR)
    bad = [np.zeros((10, 10)), np.ones((64, 64)), np.full((64, 64), np.nan),
           np.full((64, 64), np.inf), np.zeros((0, 50))]
    for r in v3.analyse(bad):
        assert r.symmetry == "none" and r.reason and r.features.shape == (512,)
    huge = np.random.default_rng(0).random((96, 96)) * 1e300
    assert np.isfinite(v3.analyse([huge])[0].features).all()
    module = create_extractor("symcat_symmetry.v3")
    g = torch.Generator().manual_seed(3)
    x = generate(torch.tensor([10]), "noise", g, size=256).images.repeat(1, 3, 1, 1)
    out = module(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()


# -- v4: v3's recipe, plus native views where cells are under 12 px or no lattice -------


@pytest.fixture(scope="module")
def v4() -> SymmetryExtractor:
    from symcat.embed.symmetry.extract import WEIGHTS_V4_DIR

    torch.set_num_threads(2)
    return SymmetryExtractor(WEIGHTS_V4_DIR)


def test_v4_reuses_v2_files_and_reads_small_cells_from_native_views(v4):
    """Cells of 6-8 px (30+ across 256 px): v4's network sees native views (not lattice
    views) and names the group; v3's settings and answers are untouched."""
    from symcat.embed.symmetry.extract import WEIGHTS_V2_DIR, WEIGHTS_V3_DIR, WEIGHTS_V4_DIR

    assert v4.name == "symcat_symmetry.v4" and v4.files_dir == WEIGHTS_V2_DIR.resolve()
    assert not packed.find(WEIGHTS_V4_DIR, "*.safetensors")  # no second copy of the weights
    assert v4.native is not None and v4.native.below_px == 12.0
    assert v4.config["calibration"]["validation_images"] >= 600
    assert SymmetryExtractor(WEIGHTS_V3_DIR).native is None
    g = torch.Generator().manual_seed(5)
    labels = torch.tensor([1, 9, 10, 15])
    imgs = list(generate(labels, "noise", g, size=256, min_cells=30, min_len=6)
                .images[:, 0].numpy())
    res = v4.analyse(imgs)
    assert [r.seen for r in res] == ["native, small cells"] * 4
    assert [r.symmetry for r in res] == [GROUPS[int(y)] for y in labels]
    assert all(max(r.lattice.periods) < 12 and r.p >= 0.5 for r in res)


def test_v4_keeps_lattice_views_for_larger_cells(v4, v2):
    """Cells of 20 px and more: the same lattice views as v3, so the same features."""
    from symcat.embed.symmetry.extract import WEIGHTS_V3_DIR

    g = torch.Generator().manual_seed(3)
    imgs = list(generate(torch.tensor([10, 16]), "noise", g, size=256).images[:, 0].numpy())
    old, new = SymmetryExtractor(WEIGHTS_V3_DIR).analyse(imgs), v4.analyse(imgs)
    for a, b in zip(old, new, strict=True):
        assert b.seen == "lattice" and a.top_group == b.top_group
        assert np.allclose(a.features, b.features, atol=1e-5)


def test_v4_abstains_on_non_periodic_domain_images(v4):
    """Domain images (phase and amplitude): no lattice, so native views are asked (not
    for stripes, a one-direction finding) and must still abstain."""
    from symcat.ingest.synth.domains import random_scene, render

    rng = np.random.default_rng(4)
    imgs = []
    for cls in ("labyrinth", "bubble", "written_box", "featureless", "stripe"):
        img = render(random_scene(cls, rng, points=256), rng)
        imgs += [img.phase1, img.amplitude1]
    res = v4.analyse(imgs)
    assert all(r.symmetry == "none" and r.reason for r in res), [r.reason for r in res]
    assert any(r.seen == "native, no lattice" for r in res)


def test_v4_bad_input_is_none_and_its_registry_module_embeds(v4):
    from symcat.embed.registry import create_extractor

    bad = [np.zeros((10, 10)), np.ones((64, 64)), np.full((64, 64), np.nan),
           np.full((64, 64), np.inf), np.zeros((0, 50))]
    for r in v4.analyse(bad):
        assert r.symmetry == "none" and r.reason and r.features.shape == (512,)
    module = create_extractor("symcat_symmetry.v4")
    g = torch.Generator().manual_seed(3)
    x = generate(torch.tensor([10]), "noise", g, size=256).images.repeat(1, 3, 1, 1)
    out = module(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()
