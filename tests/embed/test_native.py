"""Native-resolution models (issue 12): sizes, pooling, odd images, the new default.

The size policy and the numpy recipe are checked without torch; the networks run on the
CPU on a few small images, so the module stays within seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from symcat.embed.native import SizePolicy, group_by_shape, prepare, preprocess_native
from symcat.embed.preprocess import StoredChannel
from symcat.embed.registry import available, default_extractor, get_cfg

NATIVE = "effnet_lite0_4tap_native.in1k"
V2 = "symcat_combined.v2"
POLICY = get_cfg(NATIVE).size_policy


@pytest.mark.parametrize(("shape", "expected"), [
    ((128, 128), (256, 256)),  # small: up to the floor, no further
    ((256, 256), (256, 256)),
    ((384, 384), (384, 384)),  # in range: its own size
    ((700, 300), (512, 224)),  # non-square: aspect kept, no padding
    ((512, 1024), (256, 512)),  # large: down to the cap
    ((5000, 5000), (512, 512)),  # huge
    ((2, 2), (256, 256)),
    ((3, 4000), (32, 512)),  # a sliver: never a zero side
])
def test_policy_shapes(shape: tuple[int, int], expected: tuple[int, int]) -> None:
    assert POLICY.shape(*shape) == expected
    assert all(side % 32 == 0 for side in expected)


def test_policy_rejects_an_impossible_range() -> None:
    with pytest.raises(ValueError, match="floor <= cap"):
        SizePolicy(floor=512, cap=256)


@pytest.mark.parametrize("pixels", [
    np.full((300, 200), np.nan),
    np.zeros((300, 200)),
    np.where(np.eye(300, 200) > 0, np.inf, 1.0),
    np.random.default_rng(0).normal(size=(3, 900)),
], ids=["nan", "constant", "inf", "sliver"])
def test_odd_images_give_an_input(pixels: np.ndarray) -> None:
    channels = [StoredChannel("HeightRetrace", "m", pixels),
                StoredChannel("Phase1Retrace", "deg", pixels)]
    image = preprocess_native("dart_pfm", channels, POLICY)
    assert image.dtype == np.uint8
    assert image.shape == (3, *POLICY.shape(*pixels.shape))


def test_fixed_and_native_recipes_through_one_door() -> None:
    pixels = np.random.default_rng(1).normal(size=(96, 160)).astype(np.float32)
    channels = [StoredChannel("HeightRetrace", "m", pixels)]
    assert prepare(None, channels, 256).shape == (3, 256, 256)  # pp1: padded square
    assert prepare(None, channels, POLICY).shape == (3, 160, 256)
    groups = group_by_shape([np.zeros((3, 2, 2)), np.zeros((3, 4, 2)), np.zeros((3, 2, 2))])
    assert groups == {(3, 2, 2): [0, 2], (3, 4, 2): [1]}


def test_model_ids_say_native() -> None:
    cfg = get_cfg(NATIVE)
    assert cfg.preprocess_version == "pp1n" and get_cfg("effnet_lite0_4tap.in1k").sizing == 256
    if available(NATIVE):
        assert cfg.model_id.endswith("-pp1n")
        assert cfg.describe()["size_policy"] == {"floor": 256, "cap": 512, "multiple": 32}


torch = pytest.importorskip("torch")
needs_weights = pytest.mark.skipif(not available(NATIVE), reason="EfficientNet weights absent")


@needs_weights
def test_torch_native_planes_match_the_reference() -> None:
    from symcat.embed import preprocess as ref
    from symcat.embed import preprocess_torch as tp

    rng = np.random.default_rng(2)
    planes = rng.normal(size=(3, 150, 90)).astype(np.float32).cumsum(1)
    expected = np.stack([
        preprocess_native(None, [StoredChannel("HeightRetrace", "m", p)], POLICY)[0]
        for p in planes])
    kind = torch.full((3,), tp.HEIGHT)
    got = tp.prepare_planes(torch.from_numpy(planes), kind, torch.zeros(3, dtype=torch.float64),
                            POLICY).numpy()
    assert got.shape == expected.shape == (3, 256, 160)
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    assert ref.PREPROCESS_VERSION == "pp1"  # the fixed recipe keeps its meaning


@needs_weights
def test_native_vectors_for_any_image() -> None:
    from symcat.embed.registry import create_extractor
    from symcat.embed.run import embed_channels

    extractor = create_extractor(NATIVE)
    rng = np.random.default_rng(3)
    grey = rng.normal(size=(120, 200)).astype(np.float32)
    vectors = [embed_channels(extractor, image) for image in (
        grey, np.repeat(grey[:, :, None], 3, 2), np.full((64, 64), np.nan), np.ones((40, 40)),
        rng.normal(size=(2, 1100)))]
    for v in vectors:
        assert v.shape == (3552,) and np.isfinite(v).all()
    assert np.allclose(vectors[0], vectors[1], atol=1e-5)  # grey and its RGB copy agree
    with pytest.raises(ValueError, match="expected a 2-D grey"):
        embed_channels(extractor, np.zeros((2, 3, 4, 5)))


@needs_weights
def test_mixed_shapes_in_one_batch_match_one_by_one() -> None:
    from symcat.embed.extractors import forward_any
    from symcat.embed.registry import create_extractor

    extractor = create_extractor(NATIVE)
    rng = np.random.default_rng(4)
    images = [rng.integers(0, 256, (3, h, w), dtype=np.uint8)
              for h, w in ((256, 256), (256, 160), (256, 256))]
    together = forward_any(extractor, images, "cpu")
    alone = np.concatenate([forward_any(extractor, [im], "cpu") for im in images])
    assert together.shape == (3, 3552)
    assert np.allclose(together, alone, atol=1e-4)


@pytest.mark.skipif(not available(V2), reason="combined model weights absent")
def test_combined_v2_halves_and_default() -> None:
    from symcat.embed.extractors.combined import V2_SYMMETRY_WEIGHT, join
    from symcat.embed.registry import create_extractor
    from symcat.embed.run import embed_channels

    assert default_extractor() == V2
    assert get_cfg(V2).model_id.endswith("-pp1n") and get_cfg(V2).dim == 1024
    v = embed_channels(create_extractor(V2), np.random.default_rng(5).normal(size=(300, 200)))
    assert v.shape == (1024,) and np.isfinite(v).all()
    assert np.isclose(float(v[:512] @ v[:512]), 1 - V2_SYMMETRY_WEIGHT, atol=1e-3)
    assert np.isclose(float(v @ v), 1.0, atol=1e-3)
    a, b = np.eye(2)[:1], np.eye(2)[1:]
    joined = join(np.vstack([a, b]), np.vstack([a, a]), 0.25)
    distances = 1 - joined[0] @ joined[1]  # natural distance 1, symmetry distance 0
    assert np.isclose(distances, 0.75)
