"""Spectroscopy maps and nap images in the catalog: stored whole, found by the filter
language, and never handed to the image embeddings."""

from __future__ import annotations

from pathlib import Path

from symcat.client import Catalog
from symcat.embed.run import pending_scans
from symcat.ingest.synth.dataset import generate_dataset
from symcat.ingest.synth.special import write_matrix_cits, write_nap


def test_maps_and_nap_images_are_searchable_and_maps_are_not_embedded(
    catalog: Catalog, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    write_matrix_cits(files / "cits.ibw")
    write_nap(files / "sgm.ibw")
    generate_dataset(files / "dart", 1, seed=2, points=64)
    summary = catalog.ingest([files])
    assert summary.new == 3 and not summary.refused
    maps = catalog.scans("kind = spectroscopy_map")
    assert list(maps["file_name"]) == ["cits.ibw"]
    assert list(catalog.scans("mode = nap")["file_name"]) == ["sgm.ibw"]
    scan = catalog.scan(maps["id"][0])
    assert scan.document["sweep"]["unit"] == "V"
    (name, values), = scan.channels.items()
    assert name == "Aux2(V)" and values.shape == (8, 64, 256)
    with catalog.engine.connect() as conn:
        todo = set(pending_scans(conn, model_id=0))
    images = set(catalog.scans("kind = image")["id"])
    assert todo == images and len(images) == 2  # the map is never embedded
