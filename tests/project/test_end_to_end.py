"""Files -> catalog -> CNN vectors (`Catalog.embed`) -> projection -> PNGs, and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from project_data import MODEL, Clustered

import symcat.cli.project  # noqa: F401  (registers the command)
from symcat.cli import cli
from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.registry import available
from symcat.project.demo import demo_projections

CNN = "effnet_lite0.in1k"


@pytest.mark.skipif(not available(CNN), reason="EfficientNet-Lite0 weights not installed")
def test_demo_projections_from_real_files(catalog: Catalog, tmp_path: Path) -> None:
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(tmp_path / "files", 10, seed=0, points=64)
    catalog.ingest([tmp_path / "files"], jobs=1)
    catalog.embed(CNN, workers=0)
    lines: list[str] = []
    paths = demo_projections(catalog, tmp_path / "out", lines.append, model=CNN)
    assert set(paths) == {"map", "region", "neighbors"}
    for path in paths.values():
        with Image.open(path) as image:
            assert image.size[0] > 300 and image.size[1] > 300
    root = catalog.project(model=CNN, random_state=0)
    assert root.cached and len(root) == 10  # the demo's request, served again
    assert any("re-projected" in line for line in lines)
    assert root._repr_png_().startswith(b"\x89PNG")


def test_cli_project_writes_parquet_and_png(clustered: Clustered, settings: Settings,
                                            tmp_path: Path) -> None:
    import pandas as pd

    runner = CliRunner()
    args = ["--database-url", settings.database_url, "project", "--model", MODEL,
            "-w", "sample = PZT*", "-w", "scan_size_x_m < 4.5um", "--seed", "3",
            "--epochs", "50", "--out", str(tmp_path / "p.parquet"),
            "--png", str(tmp_path / "p.png"), "--color-by", "sample_name"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(tmp_path / "p.parquet")
    expected = clustered.catalog.scans("sample = PZT* and scan_size_x_m < 4.5um")
    assert set(frame["id"]) == set(expected["id"].astype(str))
    assert {"x", "y", "sample_name"} <= set(frame.columns) and np.isfinite(frame["x"]).all()
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
    projection_id = result.output.split()[1].rstrip(":")
    again = runner.invoke(cli, args)
    assert "from the cache" in again.output and projection_id in again.output
    stored = runner.invoke(cli, ["--database-url", settings.database_url, "project", "--id",
                                 projection_id, "--out", str(tmp_path / "q.parquet")])
    assert stored.exit_code == 0, stored.output
    assert pd.read_parquet(tmp_path / "q.parquet")["x"].tolist() == frame["x"].tolist()


@pytest.mark.parametrize(("args", "message"), [
    (["-w", "sample = ; drop table scans"], "position"),
    (["--color-by", "colour"], "no column 'colour'"),
    (["--model", "no-such-model"], "no vectors stored for model"),
    (["-w", "sample = nothing"], "no scans with vectors"),
])
def test_cli_project_errors_are_one_line(clustered: Clustered, settings: Settings,
                                         args: list[str], message: str) -> None:
    base = ["--database-url", settings.database_url, "project", "--model", MODEL,
            "--epochs", "20"]
    result = CliRunner().invoke(cli, base + args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
