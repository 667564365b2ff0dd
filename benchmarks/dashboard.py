"""Dashboard speed, measured in the browser: a box selection of about 5,000 points to its
recursive projection drawn on the screen.

A catalog of N metadata-only scans with clustered 1024-d vectors (as stored: mean-centred,
unit, half precision) is written into a temporary embedded database; `symcat serve` runs
on it as a subprocess (warming UMAP up at start, as it always does); headless Chromium
(Debian's, driven by Playwright) loads the dashboard, drags the box tool over the points
left of a threshold chosen to hold ~5,000 of them, and clicks "Re-project selection".
The time is from that click to two animation frames after the recursive map's data
holds the selected points. Each repetition moves the threshold by a few points, so every
selection is a new subset (an identical one would be answered from the stored
projections); the first is reported apart ("first": first projection of that size in the
server process).

    python benchmarks/dashboard.py                       # N = 8000, select ~5000, 4 repeats
    python benchmarks/dashboard.py --total 12000 --select 5000 --repeats 6
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "serve"))
sys.path.insert(0, str(REPO / "benchmarks"))

from _timing import LoadWatch  # noqa: E402
from serve_browser import (  # noqa: E402
    choose_tool,
    click,
    drag_box,
    painted,
    points_on_screen,
    selected,
    status,
    wait_for_points,
)
from serve_process import ServerProcess  # noqa: E402

from symcat.client import Catalog  # noqa: E402
from symcat.config import Settings  # noqa: E402

MODEL, DIM, CLUSTERS = "bench.dashboard", 1024, 40
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def fill(catalog: Catalog, n: int, seed: int = 0) -> None:
    """`n` metadata-only image scans with clustered vectors under MODEL."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32) * 1.2
    labels = rng.integers(0, CLUSTERS, n)
    x = centres[labels] + rng.standard_normal((n, DIM), dtype=np.float32)
    x -= x.mean(axis=1, keepdims=True)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = [uuid.uuid4() for _ in range(n)]
    samples = [f"S-{label % 7}" for label in labels]
    with catalog.engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "RETURNING id"), {"n": MODEL, "d": DIM}).scalar_one()
        conn.execute(text(
            "INSERT INTO original_files (file_sha256, size_bytes, content) "
            "VALUES (lpad(to_hex(CAST(:h AS bigint)), 64, '0'), 0, '\\x')"),
            [{"h": i} for i in range(n)])
        conn.execute(text(
            "INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, "
            "site, instrument, source_path, file_name, file_size_bytes, imaging_mode, "
            "channel_names, document, sample_name, scan_size_x_m) VALUES (:id, "
            "lpad(to_hex(CAST(:h AS bigint)), 64, '0'), 'image', 'b', 'b', 'lab', 'pc', :f, :f, 0, "
            "'dart_pfm', '{}', '{}', :s, :size)"),
            [{"id": i, "h": k, "f": f"scan{k:06d}.ibw", "s": samples[k],
              "size": 1e-6 * (1 + labels[k] % 9)} for k, i in enumerate(ids)])
        for start in range(0, n, 1000):
            conn.execute(
                text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
                [{"s": i, "m": model_id, "v": "[" + ",".join(f"{v:.4f}" for v in row) + "]"}
                 for i, row in zip(ids[start:start + 1000], x[start:start + 1000],
                                   strict=True)])


def measure(page: object, threshold_rank: int) -> tuple[int, float, str]:
    """Box-select the points left of the `threshold_rank`-th smallest screen x, click
    "Re-project selection"; seconds until the recursive map shows them."""
    points = points_on_screen(page, "root")
    xs = sorted(p[0] for p in points)
    cut = (xs[threshold_rank - 1] + xs[threshold_rank]) / 2
    ys = [p[1] for p in points]
    choose_tool(page, "root", "box-select")
    drag_box(page, xs[0] - 6, min(ys) - 6, cut, max(ys) + 6)
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => Bokeh.documents[0].get_model_by_name('root-source').selected.indices.length > 0")
    n = len(selected(page, "root"))
    started = time.perf_counter()
    click(page, "project-root")
    wait_for_points(page, "recursive", count=n)
    painted(page)
    return n, time.perf_counter() - started, status(page).split(">")[-2].split("<")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=8000, help="points in the initial map")
    parser.add_argument("--select", type=int, default=5000, help="points per selection")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from symcat.store.engine import stop_embedded

    # numba's compiled UMAP kernels are kept where a user's would be (first run compiles)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Settings.from_env().data_dir / "cache"
                                                 / "numba"))
    folder = Path(tempfile.mkdtemp(prefix="symcat-bench-dashboard-"))
    settings = Settings(data_dir=folder, site="bench", instrument="bench")
    try:
        catalog = Catalog(settings=settings)
        t = time.perf_counter()
        fill(catalog, args.total)
        print(f"catalog: {args.total} scans, {DIM}-d vectors, {time.perf_counter() - t:.1f} s")
        with ServerProcess.start(settings, model=MODEL, timeout=300) as server, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            t = time.perf_counter()
            page.goto(server.url)
            wait_for_points(page, "root", count=args.total)
            print(f"initial map of {args.total} points shown {time.perf_counter() - t:.1f} s "
                  "after the page was requested (includes the server's warm-up)")
            with LoadWatch() as load:
                results = [measure(page, args.select + 7 * k) for k in range(args.repeats)]
            browser.close()
    finally:
        stop_embedded(folder)
        shutil.rmtree(folder, ignore_errors=True)
    (n0, first, how0), warm = results[0], results[1:]
    print(f"machine: {platform.node()}, {os.cpu_count()} cores; {load.line()}")
    print(f"first selection -> drawn: {n0} points in {first:.2f} s (server: {how0})")
    for n, seconds, how in warm:
        print(f"warm selection -> drawn: {n} points in {seconds:.2f} s (server: {how})")
    if warm:
        print(f"warm median: {statistics.median(s for _, s, _ in warm):.2f} s "
              f"(target <= 3 s for 5k points on 2 cores)")


if __name__ == "__main__":
    main()
