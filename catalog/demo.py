"""`symcat demo`: build a small catalog from generated DART-PFM files and show what is in it.

The demo keeps its own embedded database (in `<data dir>/demo`) so that it
never mixes synthetic scans into a lab's real catalog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symcat.client import Catalog
from symcat.config import Settings
from symcat.pipeline import IngestSummary

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    catalog: Catalog
    files_dir: Path
    summary: IngestSummary
    pictures: dict[str, Path]


def demo_settings(settings: Settings) -> Settings:
    """The demo's own catalog: a sibling embedded database, or the given server."""
    if settings.database_url:
        return settings
    return dataclasses.replace(settings, data_dir=settings.data_dir / "demo", site="demo-lab")


def run_demo(
    settings: Settings, *, n_files: int = 48, seed: int = 0, echo: Echo = print,
    progress: bool = False, out_dir: Path | None = None,
) -> DemoResult:
    """Generate `n_files` synthetic DART-PFM files, ingest them, print a tour, then embed
    them, show one image's nearest neighbours and write projection PNGs to `out_dir`."""
    from symcat.ingest.synth.dataset import generate_dataset

    settings = demo_settings(settings)
    files_dir = settings.data_dir / "files"
    echo(f"generating {n_files} synthetic DART-PFM .ibw files in {files_dir} ...")
    generate_dataset(files_dir, n_files, seed=seed, progress=progress)
    catalog = Catalog(settings=settings)
    echo(f"ingesting them into {catalog!r} ...")
    summary = catalog.ingest([files_dir], progress=progress)
    echo(
        f"  {summary.new} new, {summary.present} already present, "
        f"{len(summary.refused)} refused, in {summary.seconds:.1f} s"
    )
    _tour(catalog, echo)
    pictures: dict[str, Path] = {}
    if _similarity_installed():
        pictures = _similarity(catalog, out_dir or settings.data_dir / "output", echo, seed,
                               progress)
    else:
        echo("\nembeddings and projections need the optional parts: "
             "pip install 'symcat[all]' (torch, umap-learn), then run symcat demo again")
    echo("\n" + dashboard_hint(settings))
    return DemoResult(catalog, files_dir, summary, pictures)


def dashboard_hint(settings: Settings) -> str:
    """The demo's last words: the exact command that opens the dashboard on its data."""
    import importlib.util
    import shlex

    if settings.database_url:
        command = "symcat serve  (with the same SYMCAT_DATABASE_URL)"
    else:
        command = f"symcat --data-dir {shlex.quote(str(settings.data_dir))} serve"
    lines = [f"open the dashboard on the demo catalog (map, selections, neighbours):\n"
             f"  {command}"]
    if importlib.util.find_spec("bokeh") is None:
        lines.append("  (it needs the dashboard's parts first: pip install 'symcat[serve]')")
    return "\n".join(lines)


def _similarity_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) for name in ("torch", "umap", "matplotlib"))


def _similarity(
    catalog: Catalog, out_dir: Path, echo: Echo, seed: int, progress: bool
) -> dict[str, Path]:
    """Embed the demo scans, print one scan's 9 nearest neighbours, project and plot."""
    from symcat.embed.registry import default_extractor
    from symcat.project.demo import demo_projections

    model = default_extractor()
    echo(f"\nembedding the images with {model} ...")
    catalog.embed(model, progress=progress)
    first = catalog.scans(limit=1).iloc[0]
    hits = catalog.neighbors(first["id"], k=9, model=model)
    echo(f"the 9 scans most like {first['file_name']} (distance = 1 - correlation):")
    shown = hits[["rank", "distance", "sample_name", "file_name"]].copy()
    shown["distance"] = shown["distance"].round(4)
    echo(shown.to_string(index=False))
    _plane_groups(catalog, echo, progress)
    return demo_projections(catalog, out_dir, echo, model=model, seed=seed)


def _plane_groups(catalog: Catalog, echo: Echo, progress: bool) -> None:
    """Store the default symmetry model's plane groups and say how many scans got each:
    the demo's domain patterns are not periodic, so most should be `none`."""
    from sqlalchemy import text

    from symcat.embed.registry import get_cfg
    from symcat.embed.symmetry_store import SYMMETRY_MODEL, predict_catalog

    echo(f"\nplane groups with {SYMMETRY_MODEL} ...")
    predict_catalog(catalog.engine, SYMMETRY_MODEL, progress=progress)
    with catalog.engine.connect() as conn:
        counts = conn.execute(text(
            "SELECT p.symmetry, count(*) FROM symmetry_predictions p "
            "JOIN embedding_models m ON m.id = p.model_id WHERE m.name = :name "
            "GROUP BY p.symmetry ORDER BY count(*) DESC, p.symmetry"),
            {"name": get_cfg(SYMMETRY_MODEL).model_id}).fetchall()
    echo("  " + ", ".join(f"{group} {n}" for group, n in counts)
         + "  (none: no lattice, too few cells or low confidence)")
    echo('  filter by them: symcat scans --where "symmetry = none"')
    echo("  images outside the catalog (PNG, TIFF, .npy, .ibw): symcat symmetry FILES_OR_FOLDERS")


def _tour(catalog: Catalog, echo: Echo) -> None:
    frame = catalog.scans()
    echo(f"\nthe catalog holds {catalog.count()} scans; by imaging mode and sample:")
    table = frame.groupby(["imaging_mode", "sample_name"], dropna=False).size()
    echo(table.rename("scans").to_string())
    echo("\nthe five most recent:")
    recent = frame.head(5)[["id", "sample_name", "acquired_at", "scan_size_x_m", "file_name"]]
    recent = recent.assign(
        id=recent["id"].astype(str).str[:8], scan_size_um=recent.pop("scan_size_x_m") * 1e6
    )
    echo(recent.to_string(index=False))
    first = frame.iloc[0]
    data = catalog.scan(first["id"])
    original = catalog.original_bytes(first["id"])
    echo(f"\nscan {first['id']} ({first['file_name']}):")
    for name, values in data.channels.items():
        echo(f"  {name:<20} {values.shape[0]}x{values.shape[1]}  "
             f"min {values.min():.3g}  max {values.max():.3g}")
    echo(f"  original file: {len(original)} bytes, sha256 verified")
    sample = str(first["sample_name"] or "")[:3]
    echo(
        "\nexplore it with:\n"
        f"  SYMCAT_DATA_DIR={catalog.settings.data_dir} "
        f"symcat scans --where \"sample = {sample}*\"\n"
        "  python -c \"import symcat; print(symcat.Catalog().scans())\"  (same SYMCAT_DATA_DIR)"
    )
