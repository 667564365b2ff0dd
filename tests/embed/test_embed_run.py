"""Embedding a real catalog: synthetic DART files -> ingest -> vectors -> neighbours.

Uses EfficientNet-Lite0 with its shipped weights on the CPU, on a handful of small
(64 x 64) synthetic scans, so the whole module stays within seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.compiled import compiler_found
from symcat.embed.registry import available
from symcat.embed.run import embed_catalog
from symcat.store.models import Embedding, EmbeddingModel
from symcat.store.models.embedding import hnsw_index_name

pytestmark = pytest.mark.skipif(
    not available("effnet_lite0.in1k"), reason="EfficientNet-Lite0 weights not installed"
)
MODEL = "effnet_lite0.in1k"  # the cheaper of the two natural variants
OTHER = "effnet_lite0_4tap.in1k"


@pytest.fixture(scope="module")
def synthetic_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from symcat.ingest.synth.dataset import generate_dataset

    root = tmp_path_factory.mktemp("synth")
    generate_dataset(root, 8, seed=3, points=64)
    return root


@pytest.fixture()
def filled(catalog: Catalog, synthetic_files: Path) -> Catalog:
    catalog.ingest([synthetic_files], jobs=1)
    return catalog


def _count(catalog: Catalog, model_id: int) -> int:
    with catalog.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Embedding)
                            .where(Embedding.model_id == model_id)).scalar_one()


def _vectors(catalog: Catalog, model_id: int) -> dict:
    """{scan id: stored vector} of one model."""
    with catalog.engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT scan_id, vector::vector::real[] FROM embeddings WHERE model_id = :m"),
            {"m": model_id}).all())


def test_embed_is_resumable_and_repeatable(filled: Catalog) -> None:
    scans = filled.scans()
    part = filled.embed(MODEL, id=list(scans.id[:3]), batch_size=2, workers=0)
    assert part.embedded == 3  # as if a run had stopped part-way
    rest = filled.embed(MODEL, batch_size=3, workers=0)
    assert rest.embedded == len(scans) - part.embedded
    again = filled.embed(MODEL, batch_size=3, workers=0)
    assert again.embedded == 0 and again.pending == 0
    assert _count(filled, rest.model_id) == len(scans)
    # The start-up is the first batch's; the steady rate counts the scans after it.
    assert 1 <= rest.start_up_scans <= 3 and 0 < rest.start_up < rest.seconds
    assert rest.steady_rate == pytest.approx(
        (rest.embedded - rest.start_up_scans) / (rest.seconds - rest.start_up))
    assert again.start_up_scans == 0 and again.steady_rate == 0


def test_stored_vectors_are_centred_unit_vectors(filled: Catalog) -> None:
    summary = filled.embed(MODEL, workers=0)
    with filled.engine.connect() as conn:
        rows = conn.execute(text("SELECT vector::vector::real[] FROM embeddings "
                                 "WHERE model_id = :m"), {"m": summary.model_id}).scalars().all()
        stored = conn.execute(select(EmbeddingModel.name, EmbeddingModel.config).where(
            EmbeddingModel.id == summary.model_id)).one()
    vectors = np.array(rows)
    assert vectors.shape == (len(filled.scans()), 1280)
    assert np.abs(vectors.mean(1)).max() < 1e-3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)
    assert stored.name.startswith(f"{MODEL}@") and stored.name.endswith("-pp1")
    assert stored.config["weights_sha256"].startswith(stored.name.split("@")[1][:12])


@pytest.mark.parametrize("on_device", [False, True], ids=["worker-preprocess", "raw-batched"])
def test_loading_workers_give_the_same_vectors(filled: Catalog, on_device: bool) -> None:
    """Workers preprocessing with numpy, or only reading (batched torch preprocessing in the
    main process, the GPU path, here on the CPU): the same vectors as the inline run."""
    inline = filled.embed(MODEL, workers=0, batch_size=4)
    before = _vectors(filled, inline.model_id)
    rebuilt = embed_catalog(filled.engine, MODEL, workers=1, batch_size=4, rebuild=True,
                            device_preprocess=on_device)
    assert rebuilt.timings["device" if rebuilt.embedded else "setup"] > 0
    assert rebuilt.embedded == len(before)
    after = _vectors(filled, inline.model_id)
    assert after.keys() == before.keys()
    for key, vector in before.items():
        assert np.allclose(vector, after[key], atol=2e-3)


@pytest.mark.skipif(not compiler_found(),
                    reason="torch.compile on the CPU needs a C++ compiler")
def test_a_compiled_run_stores_the_same_vectors(filled: Catalog) -> None:
    """`symcat embed --compile`: batches padded to one size through torch.compile, the
    last one short (3, 3, 2 scans): the vectors of the plain run."""
    plain = filled.embed(MODEL, workers=0, batch_size=3)
    before = _vectors(filled, plain.model_id)
    assert len(before) % 3 != 0  # a padded last batch
    compiled = embed_catalog(filled.engine, MODEL, workers=0, batch_size=3, rebuild=True,
                             compile_model=True)
    assert compiled.embedded == len(before)
    assert 0 < compiled.timings["compile"] <= compiled.timings["device"]
    assert "compile" not in plain.timings
    assert compiled.compiled and not plain.compiled  # a small run: not compiled by default
    after = _vectors(filled, plain.model_id)
    for key, vector in before.items():
        assert np.allclose(vector, after[key], atol=2e-3)


def test_a_run_of_one_batch_shape_stores_the_same_vectors(filled: Catalog) -> None:
    """The GPU defaults (`fixed_shapes`, and for a short run `native_depthwise`): batches
    of one size, the short last one padded with blank rows to it (3, 3, then 2 padded to
    3), depthwise layers wrapped: the vectors of the plain run."""
    plain = filled.embed(MODEL, workers=0, batch_size=3)
    before = _vectors(filled, plain.model_id)
    assert len(before) % 3 != 0  # a padded last batch
    fixed = embed_catalog(filled.engine, MODEL, workers=1, batch_size=3, rebuild=True,
                          device_preprocess=True, fixed_shapes=True, native_depthwise=True)
    assert fixed.embedded == len(before)
    after = _vectors(filled, plain.model_id)
    assert after.keys() == before.keys()
    for key, vector in before.items():
        assert np.allclose(vector, after[key], atol=2e-3)


def test_vectors_are_stored_exactly_in_half_precision(filled: Catalog) -> None:
    from symcat.embed.run import store_vectors

    summary = filled.embed(MODEL, workers=0)
    ids = list(filled.scans().id[:3])
    vectors = np.random.default_rng(0).normal(size=(3, 1280)).astype(np.float32)
    with filled.engine.begin() as conn:
        conn.execute(text("DELETE FROM embeddings WHERE model_id = :m"), {"m": summary.model_id})
        assert store_vectors(conn, summary.model_id, ids, vectors) == 3
        stored = dict(conn.execute(text(
            "SELECT scan_id, vector::vector::real[] FROM embeddings WHERE model_id = :m"),
            {"m": summary.model_id}).all())
    for scan_id, vector in zip(ids, vectors, strict=True):
        got = np.array(stored[scan_id], dtype=np.float32)  # real[] comes back as text
        assert np.array_equal(got, vector.astype(np.float16).astype(np.float32))


def test_neighbors_by_id_and_by_image(filled: Catalog) -> None:
    filled.embed(MODEL, workers=0)
    target = filled.scans().id[0]
    frame = filled.neighbors(target, k=4, model=MODEL)
    assert list(frame["rank"]) == [1, 2, 3, 4]
    assert target not in set(frame["id"])
    assert list(frame["distance"]) == sorted(frame["distance"])
    assert {"sample_name", "file_name", "imaging_mode"} <= set(frame.columns)
    assert frame["file_name"].notna().all()
    by_image = filled.neighbors(filled.scan(target), k=2, model=MODEL)
    assert by_image["id"][0] == target and by_image["distance"][0] < 1e-3
    sample = frame["sample_name"][0]
    filtered = filled.neighbors(target, k=9, model=MODEL, sample=sample)
    assert set(filtered["sample_name"]) == {sample}
    by_expression = filled.neighbors(target, k=9, model=MODEL, where=f"sample = '{sample}'")
    assert list(by_expression["id"]) == list(filtered["id"])


def test_two_models_coexist(filled: Catalog) -> None:
    a = filled.embed(MODEL, workers=0)
    b = filled.embed(OTHER, workers=0)
    assert a.model_id != b.model_id
    assert _count(filled, a.model_id) == _count(filled, b.model_id) == len(filled.scans())
    target = filled.scans().id[0]
    assert filled.neighbors(target, k=3, model=OTHER).attrs["model"].startswith(OTHER)
    with filled.engine.connect() as conn:
        for model_id in (a.model_id, b.model_id):
            assert conn.execute(text("SELECT to_regclass(:n)"),
                                {"n": hnsw_index_name(model_id)}).scalar()


def test_clear_errors(filled: Catalog) -> None:
    from symcat.embed.registry import UnknownExtractor
    from symcat.query.knn import UnknownModel

    with pytest.raises(UnknownExtractor, match="valid extractors: .*effnet_lite0.in1k"):
        filled.embed("resnet9000")
    target = filled.scans().id[0]
    with pytest.raises(UnknownModel, match="no vectors stored for model 'never.embedded'"):
        filled.neighbors(target, model="never.embedded")
    filled.embed(MODEL, workers=0, sample="no-such-sample")
    with pytest.raises(LookupError, match="has no vector"):
        filled.neighbors(target, model=MODEL)


def test_cli_embed_and_neighbors(filled: Catalog, settings: Settings) -> None:
    env = {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or ""}

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "symcat.cli", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return finish(start(*args))

    def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
        out, err = process.communicate(timeout=300)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    # two commands that neither read nor write vectors, in processes of their own meanwhile
    unknown, models = start("embed", "--model", "nope"), start("models")
    done = run("embed", "--model", MODEL, "--jobs", "0", "--no-progress", "-b", "3",
               "--no-compile")
    assert done.returncode == 0, done.stderr
    assert f"{len(filled.scans())} new vectors" in done.stdout
    assert re.search(r"\n  [\d.]+ scans/s after a start-up of [\d.]+ s\n", done.stdout)
    target = str(filled.scans().id[0])
    near = run("neighbors", target, "-k", "3", "--model", MODEL, "--where", "mode=dart_pfm")
    assert near.returncode == 0, near.stderr
    assert "exact plan" in near.stdout and len(near.stdout.strip().splitlines()) == 5
    bad = finish(unknown)
    assert bad.returncode == 1 and "valid extractors" in bad.stderr
    listed = finish(models)
    assert listed.returncode == 0 and "effnet_lite0_4tap.in1k" in listed.stdout


@pytest.mark.parametrize(("n", "size", "workers"), [(1000, 128, 12), (17, 4, 1), (16, 4, 1),
                                                    (5, 64, 12), (300, 64, 0)])
def test_batches_start_small_and_cover_every_scan_once_in_order(
        n: int, size: int, workers: int) -> None:
    """With loading workers the first batches are a quarter, then half the size (the
    device starts sooner); every scan is in exactly one batch, in the given order."""
    from symcat.embed.run import split_batches

    todo = list(range(n))
    batches = split_batches(todo, size, workers)  # type: ignore[arg-type]
    assert [i for b in batches for i in b] == todo
    assert all(1 <= len(b) <= size for b in batches)
    ramped = workers > 0 and n > 4 * size
    if ramped:
        assert [len(b) for b in batches[:5]] == [size // 4, size // 4, size // 2, size // 2,
                                                 min(size, n - 3 * size // 2)]
    else:
        assert all(len(b) == size for b in batches[:-1])


def test_loading_slots_hand_over_the_same_planes(filled: Catalog) -> None:
    """Raw batches whose planes go through reusable shared slots (the GPU path's loading)
    give the same device images as fresh shared memory; a batch too large for a slot
    takes the old path; every slot is free again afterwards."""
    import torch

    from symcat.embed.loading import device_groups
    from symcat.embed.registry import get_cfg
    from symcat.embed.run import _batches, pending_scans, run_slots
    from symcat.embed.slots import Slots

    sizing = get_cfg(MODEL).sizing
    with filled.engine.connect() as conn:
        todo = pending_scans(conn, 1, None, None)
        sized = run_slots(conn, todo, 4, 2, pin=False)
    assert sized is not None and sized.count == 2 + 3  # workers x 1 + 3
    assert sized.nbytes == 2 * 3 * 4 * 64 * 64  # a batch of 4 scans, 3 int16 planes of 64^2
    sized.close()
    batches = [todo[:2], todo[2:3], todo[3:]]  # the last one (5 scans) is too large a slot
    slots = Slots(2, 2 * 3 * 2 * 64 * 64, pin=False)

    def images(use: Slots | None) -> list[tuple[list[int], torch.Tensor, int | None]]:
        out = []
        for batch in _batches(filled.engine, batches, sizing, 2, False, raw=True, slots=use):
            for positions, planes in device_groups(batch, sizing, "cpu", use):
                out.append(([batch.ids[p] for p in positions], planes.clone(), batch.slot))
            if use is not None and batch.slot is not None:
                use.give_back(batch.slot)
        return out

    plain, slotted = images(None), images(slots)
    assert [ids for ids, _, _ in plain] == [ids for ids, _, _ in slotted]
    for (_, a, _), (_, b, _) in zip(plain, slotted, strict=True):
        assert torch.equal(a, b)
    assert [slot is not None for _, _, slot in slotted] == [True, True, False]
    assert sorted(slots.free.get(timeout=5) for _ in range(2)) == [0, 1]
    slots.close()
