"""symcat_symmetry.v5: v2's weight files plus a small delta, small-cell training views."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from symcat.embed import packed
from symcat.embed.symmetry.extract import (
    WEIGHTS_V2_DIR,
    WEIGHTS_V3_DIR,
    WEIGHTS_V4_DIR,
    WEIGHTS_V5_DIR,
    SymmetryExtractor,
)
from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.lattice import native_views, resize
from symcat.embed.symmetry.weights import load_split, overlay
from training.symmetry import finetune
from training.symmetry.generate import generate
from training.symmetry.small_views import enlarge, native_side, small_cell_batch


@pytest.fixture(scope="module")
def v5() -> SymmetryExtractor:
    torch.set_num_threads(2)
    return SymmetryExtractor(WEIGHTS_V5_DIR)


def test_v5_ships_a_small_delta_and_loads_base_plus_delta(v5):
    parts = packed.find(WEIGHTS_V5_DIR, "*.safetensors")
    assert [packed.plain_name(p) for p in parts] == ["delta.part00.safetensors"]
    assert parts[0].stat().st_size <= 6 * 1024 * 1024
    assert v5.name == "symcat_symmetry.v5" and v5.files_dir == WEIGHTS_V2_DIR.resolve()
    base, delta = load_split(WEIGHTS_V2_DIR, "model"), load_split(WEIGHTS_V5_DIR, "delta")
    assert all(finetune.is_trained(k) for k in delta)
    assert not any(k.startswith("backbone.layer4.") and ".conv" in k for k in delta)
    state = v5.model.state_dict()
    assert set(state) == set(base)
    for key, t in state.items():
        assert torch.equal(t, (delta[key] if key in delta else base[key]).to(t.dtype)), key
    changed = [k for k in delta if not torch.equal(delta[k], base[k])]
    assert any(k.startswith("backbone.layer1.") for k in changed) and "head.weight" in changed


def test_v2_v3_v4_networks_are_v2s_files_unchanged():
    base = load_split(WEIGHTS_V2_DIR, "model")
    for folder in (WEIGHTS_V2_DIR, WEIGHTS_V3_DIR, WEIGHTS_V4_DIR):
        ex = SymmetryExtractor(folder)
        assert ex.delta is None and "delta" not in ex.config
        for key, t in ex.model.state_dict().items():
            assert torch.equal(t, base[key].to(t.dtype)), (folder.name, key)


def test_v5_answers_differ_from_v4_on_the_same_views(v5):
    """Same recipe, different network: the same image gives other logits, same lattice."""
    g = torch.Generator().manual_seed(5)
    imgs = list(generate(torch.tensor([9, 15]), "noise", g, size=256, min_cells=30,
                         min_len=6).images[:, 0].numpy())
    old, new = SymmetryExtractor(WEIGHTS_V4_DIR).analyse(imgs), v5.analyse(imgs)
    for a, b in zip(old, new, strict=True):
        assert a.seen == b.seen and a.lattice == b.lattice
        assert not np.allclose(a.logits, b.logits, atol=1e-3)


def test_overlay_refuses_unknown_or_misshapen_tensors():
    base = {"a": torch.zeros(2, 3), "b": torch.ones(4)}
    out = overlay(base, {"b": torch.full((4,), 2.0)})
    assert torch.equal(out["b"], torch.full((4,), 2.0)) and out["a"] is base["a"]
    assert torch.equal(base["b"], torch.ones(4))  # the base is not changed in place
    with pytest.raises(ValueError, match="delta tensor c is not in the base weights"):
        overlay(base, {"c": torch.zeros(1)})
    with pytest.raises(ValueError, match=r"delta tensor a has shape \(3, 2\)"):
        overlay(base, {"a": torch.zeros(3, 2)})


def test_a_changed_delta_file_is_refused(tmp_path):
    shutil.copytree(WEIGHTS_V2_DIR, tmp_path / "weights_v2")
    shutil.copytree(WEIGHTS_V5_DIR, tmp_path / "weights_v5")
    SymmetryExtractor(tmp_path / "weights_v5")  # the copy loads
    delta = packed.locate(tmp_path / "weights_v5", "delta.part00.safetensors")
    raw = bytearray(packed.read_bytes(delta))  # one byte of the weights changed, repacked
    raw[-1] ^= 0xFF
    delta.write_bytes(packed.pack_bytes(bytes(raw)) if packed.is_packed(delta) else raw)
    with pytest.raises(ValueError, match="delta.part00.safetensors does not match its sha256"):
        SymmetryExtractor(tmp_path / "weights_v5")


@pytest.mark.parametrize("k", [2, 3, 4])
def test_training_enlargement_is_native_views(k):
    """The training views are cut and enlarged as v4's NativeRule cuts them at run time."""
    img = np.random.default_rng(k).random((300, 260))
    side, size = native_side(k)
    view = native_views(img, (k,))[0]  # spots sorted: the top-left square first
    assert view.shape == (size, size) == (224, 224)
    crop = torch.from_numpy(img[:side, :side].astype(np.float32))[None, None]
    ours = enlarge(crop, size)[0, 0].numpy()
    assert np.abs(ours - view).max() < 1e-4


def test_non_integer_enlargement_matches_lattice_resize():
    img = np.random.default_rng(1).random((75, 75)).astype(np.float32)
    ours = enlarge(torch.from_numpy(img)[None, None], 200)[0, 0].numpy()
    assert np.abs(ours - resize(img, 200)).max() < 1e-4


@pytest.mark.parametrize("lattice_frac", [0.0, 1.0])
def test_small_cell_batch_shapes_and_labels(lattice_frac):
    g = torch.Generator().manual_seed(2)
    x, y = small_cell_batch(12, g, "cpu", lattice_frac=lattice_frac)
    size = 224 if lattice_frac == 0 else x.shape[-1]  # a lattice view: round(side * k)
    assert x.shape == (12, 1, size, size) and size in (223, 224) and y.shape == (12,)
    assert torch.isfinite(x).all() and x.std() > 0
    assert int(y.min()) >= 0 and int(y.max()) <= len(GROUPS)


def test_finetune_trains_resumes_and_exports_a_loadable_delta(tmp_path):
    torch.set_num_threads(2)
    out = tmp_path / "state"
    args = ["--out", str(out), "--batch", "8", "--eval-n", "0", "--device", "cpu",
            "--steps", "2", "--log-every", "1"]
    finetune.main(args)
    assert json.loads((out / "state.json").read_text())["step"] == 2
    delta = load_split(out, "delta")
    base = load_split(WEIGHTS_V2_DIR, "model")
    assert not any(k.startswith("backbone.layer4.") and ".conv" in k for k in delta)
    assert torch.equal(delta["backbone.bn1.running_mean"], base["backbone.bn1.running_mean"])
    assert not torch.equal(delta["backbone.conv1.weight"], base["backbone.conv1.weight"])
    finetune.main([*args[:-4], "--steps", "3", "--log-every", "1"])  # resumes at step 2
    saved = json.loads((out / "state.json").read_text())
    assert saved["step"] == 3 and [e["step"] for e in saved["log"]] == [1, 2, 3]
    shutil.copytree(WEIGHTS_V2_DIR, tmp_path / "weights_v2")
    (tmp_path / "weights_v5").mkdir()
    shutil.copy(WEIGHTS_V5_DIR / "config.json", tmp_path / "weights_v5")
    finetune.main(["--export", str(out), str(tmp_path / "weights_v5")])
    shipped = sorted(p.name for p in (tmp_path / "weights_v5").glob("delta.*"))
    assert shipped == ["delta.part00.safetensors.planes.gz"]  # exported packed
    ex = SymmetryExtractor(tmp_path / "weights_v5")
    tuned, _, _ = finetune.build(WEIGHTS_V2_DIR, out)
    for key, t in tuned.state_dict().items():
        assert torch.equal(ex.model.state_dict()[key], t), key


def test_v5_reads_small_cells_and_abstains_on_domains(v5):
    from symcat.ingest.synth.domains import random_scene, render

    g = torch.Generator().manual_seed(5)
    labels = torch.tensor([1, 9, 10, 15])
    imgs = list(generate(labels, "noise", g, size=256, min_cells=30, min_len=6)
                .images[:, 0].numpy())
    res = v5.analyse(imgs)
    assert [r.seen for r in res] == ["native, small cells"] * 4
    assert [r.symmetry for r in res] == [GROUPS[int(y)] for y in labels]
    rng = np.random.default_rng(4)
    domains = []
    for cls in ("labyrinth", "bubble", "written_box", "featureless", "stripe"):
        img = render(random_scene(cls, rng, points=256), rng)
        domains += [img.phase1, img.amplitude1]
    assert all(r.symmetry == "none" and r.reason for r in v5.analyse(domains))


def test_v5_registry_module_embeds():
    from symcat.embed.registry import create_extractor, get_cfg

    cfg = get_cfg("symcat_symmetry.v5")
    assert packed.plain_name(cfg.weights()[-1]) == "delta.part00.safetensors"
    assert cfg.weights_sha256() != get_cfg("symcat_symmetry.v4").weights_sha256()
    g = torch.Generator().manual_seed(3)
    x = generate(torch.tensor([10]), "noise", g, size=256).images.repeat(1, 3, 1, 1)
    out = create_extractor("symcat_symmetry.v5")(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()
