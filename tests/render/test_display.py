"""Rendering on a real catalog: coloured thumbnails at ingest, their regeneration, and how
scans, neighbour results and figures show themselves in Jupyter."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select, text, update

import symcat.cli.thumbnails  # noqa: F401  (registers the command)
from symcat.cli import cli
from symcat.client import Catalog
from symcat.config import Settings
from symcat.store.models import Channel

MODEL = "test.render"


def _ingest(catalog: Catalog, folder: Path, n: int = 6) -> list:
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(folder, n, seed=1, points=64)
    catalog.ingest([folder], jobs=1)
    return list(catalog.scans(kind="image")["id"])


def _colourful(png: bytes) -> bool:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return bool(np.abs(pixels[..., 0] - pixels[..., 2]).max() > 40)


def _add_vectors(catalog: Catalog, ids: list) -> None:
    rng = np.random.default_rng(0)
    with catalog.engine.begin() as conn:
        model = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, 8, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = 8 RETURNING id"), {"n": MODEL}).scalar_one()
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": i, "m": model, "v": str(rng.standard_normal(8).tolist())}
                      for i in ids])


def test_thumbnails_are_coloured_and_regenerated(catalog: Catalog, settings: Settings,
                                                 tmp_path: Path) -> None:
    _ingest(catalog, tmp_path / "files", 3)
    with catalog.engine.connect() as conn:
        stored = conn.execute(select(Channel.name, Channel.thumbnail_png)
                              .where(Channel.thumbnail_png.is_not(None))).all()
    assert stored and all(_colourful(png) for name, png in stored if "Height" in name)
    with catalog.engine.begin() as conn:  # an older symcat's grey thumbnails
        grey = io.BytesIO()
        Image.new("L", (8, 8), 90).save(grey, format="PNG")
        conn.execute(update(Channel).values(thumbnail_png=grey.getvalue())
                     .where(Channel.thumbnail_png.is_not(None)))
    result = CliRunner().invoke(cli, ["--database-url", settings.database_url, "thumbnails",
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"redrew {len(stored)} thumbnails" in result.output
    with catalog.engine.connect() as conn:
        again = dict(conn.execute(select(Channel.name, Channel.thumbnail_png)
                                  .where(Channel.thumbnail_png.is_not(None))).all())
    assert all(_colourful(png) for name, png in again.items() if "Height" in name)


def test_scan_and_neighbours_display_themselves(catalog: Catalog, tmp_path: Path) -> None:
    ids = _ingest(catalog, tmp_path / "files")
    scan = catalog.scan(ids[0])
    short = repr(scan)
    assert len(short) < 400 and str(scan.id)[:8] in short and "channels=[" in short
    page = scan._repr_html_()
    assert page.count("<img") >= len([a for a in scan.channels.values() if a.ndim == 2])
    assert str(scan.id) in page
    _add_vectors(catalog, ids)
    found = catalog.neighbors(ids[0], k=3, model=MODEL)
    assert len(found) == 3 and list(found["rank"]) == [1, 2, 3]
    assert found.attrs["model"] == MODEL and "plan" in found.attrs
    html = found._repr_html_()
    assert "symcat-neighbours" in html and html.count("<img") >= 4 and "<table" in html
    assert "query" in html and "d=" in html
    assert type(found.head(2)).__name__ == "NeighborFrame"


def test_figures_show_themselves_without_magic(catalog: Catalog, tmp_path: Path) -> None:
    from symcat.project.plot import neighbors_figure

    ids = _ingest(catalog, tmp_path / "files", 4)
    _add_vectors(catalog, ids)
    figure = neighbors_figure(catalog, ids[0], k=2, model=MODEL)
    png = figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "render"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "neighbors_figure.png").write_bytes(png)
    (artifacts / "scan.html").write_text(catalog.scan(ids[0])._repr_html_())
    assert len(figure.axes) > 3 * 3  # 3 rows x 3 channels, plus colour bars
