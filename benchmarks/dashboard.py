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
    python benchmarks/dashboard.py --baseline-commit 7d1b175 --repeats 5

`--baseline-commit REV` measures against an earlier version of the code, interleaved: the
`catalog/` folder of REV (`git archive`) is served by a second `symcat serve` on the same
catalog (its own page), and each repetition measures one selection on each server in
turn, alternating which goes first; the medians and their ratio are printed. Each server
gets its own thresholds, so neither answers from the other's stored projections.

`--frames` measures instead how smoothly a large map pans and zooms (issue 13): the
dashboard's own map panel (`symcat.serve.panels.maps.MapPanel`: binary coordinates and
colour codes, canvas with level of detail, hover tool) served by Bokeh with a synthetic
map of `--points` points, driven in Chromium by real mouse drags and wheel events while a
requestAnimationFrame loop records every frame's interval. The baseline, interleaved
round by round, is the same panel with `--baseline` points.

    python benchmarks/dashboard.py --frames --points 100000 --baseline 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
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


def clustered_vectors(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's `n` vectors (CLUSTERS Gaussian clusters, mean-centred, unit,
    float32) and their cluster labels."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32) * 1.2
    labels = rng.integers(0, CLUSTERS, n)
    x = centres[labels] + rng.standard_normal((n, DIM), dtype=np.float32)
    x -= x.mean(axis=1, keepdims=True)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, labels


def fill(catalog: Catalog, n: int, seed: int = 0) -> None:
    """`n` metadata-only image scans with clustered vectors under MODEL."""
    x, labels = clustered_vectors(n, seed)
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


def baseline_code(commit: str, folder: Path) -> dict[str, str]:
    """The environment that makes `symcat` import REV's `catalog/` (ingest, migrations and
    schemas stay this checkout's): PYTHONPATH precedes the editable install."""
    import subprocess

    tree = folder / "tree"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "catalog"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    (folder / "path").mkdir()
    (folder / "path" / "symcat").symlink_to(tree / "catalog")
    return {"PYTHONPATH": str(folder / "path")}


def open_map(browser: object, server: ServerProcess, total: int) -> object:
    page = browser.new_page(viewport={"width": 1500, "height": 1100})  # type: ignore[attr-defined]
    t = time.perf_counter()
    page.goto(server.url)
    wait_for_points(page, "root", count=total)
    print(f"initial map of {total} points shown {time.perf_counter() - t:.1f} s "
          "after the page was requested (includes the server's warm-up)")
    return page


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


FRAME_RECORDER = """() => { window.__frames = []; window.__recording = true;
    const tick = (t) => { window.__frames.push(t); if (window.__recording)
        requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""


def map_app(points: int, seed: int = 0) -> object:
    """A Bokeh app showing the dashboard's map panel with `points` synthetic points."""
    import pandas as pd
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler

    from symcat.serve.panels.maps import MapPanel

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (40, 2))
    labels = rng.integers(0, 40, points)
    xy = centres[labels] + rng.normal(0, 1, (points, 2))
    frame = pd.DataFrame({"id": [uuid.uuid4() for _ in range(points)], "x": xy[:, 0],
                          "y": xy[:, 1], "sample_name": [f"S-{k % 12}" for k in labels]})

    def build(doc: object) -> None:
        panel = MapPanel("root", f"{points} points", height=700)
        panel.show(frame, f"{points} points", "sample_name", "amplitude")
        doc.add_root(panel.figure)  # type: ignore[attr-defined]

    return Application(FunctionHandler(build))


def serve_apps(apps: dict[str, object]) -> int:
    """Start a Bokeh server for `apps` in a thread; returns its port."""
    import asyncio
    import threading

    from bokeh.server.server import Server
    from serve_process import free_port

    port = free_port()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = Server(apps, port=port, address="127.0.0.1",
                        allow_websocket_origin=[f"127.0.0.1:{port}"],
                        websocket_max_message_size=500 * 2**20)
        server.start()
        ready.set()
        server.io_loop.start()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(60)
    return port


def frame_times(page: object, url: str, points: int) -> dict[str, float]:
    """Load the map, then pan (mouse drags) and zoom (wheel) it while recording frames."""
    t = time.perf_counter()
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        f"() => window.Bokeh && Bokeh.documents.length && Bokeh.documents[0]"
        f".get_model_by_name('root-source').data.x.length === {points}", timeout=300_000)
    painted(page)
    shown = time.perf_counter() - t
    box = page.evaluate(  # type: ignore[attr-defined]
        """() => { const v = Bokeh.index.find_one(Bokeh.documents[0]
             .get_model_by_name('root-map')); const r = v.canvas_view.el
             .getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }""")
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    page.evaluate(  # type: ignore[attr-defined]
        "() => { const p = Bokeh.documents[0].get_model_by_name('root-map'); "
        "const pan = p.toolbar.tools.find(t => t.constructor.__name__ === 'PanTool'); "
        "p.toolbar.active_drag = pan; }")
    page.evaluate(FRAME_RECORDER)  # type: ignore[attr-defined]
    mouse = page.mouse  # type: ignore[attr-defined]
    started = time.perf_counter()
    for sweep in range(3):  # pan: three drags of 300 px, 30 moves each
        mouse.move(cx - 150, cy)
        mouse.down()
        for step in range(1, 31):
            mouse.move(cx - 150 + 10 * step, cy + (sweep - 1) * 2 * step)
        mouse.up()
    mouse.move(cx, cy)
    for step in range(24):  # zoom: in, then out
        mouse.wheel(0, -60 if step < 12 else 60)
        page.wait_for_timeout(16)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    frames = page.evaluate(  # type: ignore[attr-defined]
        "() => { window.__recording = false; return window.__frames; }")
    gaps = np.diff(np.asarray(frames, dtype=np.float64))
    return {"shown_s": shown, "frames": len(gaps), "fps": len(gaps) / elapsed,
            "median_ms": float(np.median(gaps)), "p95_ms": float(np.percentile(gaps, 95)),
            "max_ms": float(gaps.max()), "slow": float((gaps > 50).mean())}


def frames_main(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    print(f"machine: {platform.node()}, {os.cpu_count()} cores, "
          f"load average before {os.getloadavg()[0]:.2f}")
    sizes = {"baseline": args.baseline, "large": args.points}
    port = serve_apps({f"/{name}": map_app(n) for name, n in sizes.items()})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sizes}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium,
                                             args=CHROMIUM_ARGS, headless=True)
        for _ in range(args.rounds):  # interleaved: baseline, large, baseline, large...
            for name, n in sizes.items():
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                results[name].append(frame_times(page, f"http://127.0.0.1:{port}/{name}", n))
                page.close()
        browser.close()
    load = os.getloadavg()[0]
    print(f"load average after {load:.2f}" + ("  (busy: > 1.5)" if load > 1.5 else ""))
    for name, n in sizes.items():
        runs = results[name]
        print(f"{n:>7} points: shown in " + ", ".join(f"{r['shown_s']:.2f}" for r in runs)
              + " s; frame interval median " + ", ".join(f"{r['median_ms']:.1f}" for r in runs)
              + " ms; p95 " + ", ".join(f"{r['p95_ms']:.1f}" for r in runs)
              + " ms; max " + ", ".join(f"{r['max_ms']:.0f}" for r in runs)
              + " ms; fps " + ", ".join(f"{r['fps']:.1f}" for r in runs)
              + "; frames > 50 ms " + ", ".join(f"{100 * r['slow']:.0f}%" for r in runs))
    ratio = [large["median_ms"] / base["median_ms"]
             for large, base in zip(results["large"], results["baseline"], strict=True)]
    print(f"median frame interval, {args.points} / {args.baseline} points: "
          + ", ".join(f"{r:.2f}x" for r in ratio))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", action="store_true",
                        help="measure pan/zoom frame times of a large map instead")
    parser.add_argument("--points", type=int, default=100_000, help="--frames: map size")
    parser.add_argument("--baseline", type=int, default=1000, help="--frames: baseline size")
    parser.add_argument("--rounds", type=int, default=3, help="--frames: interleaved rounds")
    parser.add_argument("--total", type=int, default=8000, help="points in the initial map")
    parser.add_argument("--select", type=int, default=5000, help="points per selection")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--baseline-commit", default=None,
                        help="also serve this git revision's code and interleave with it")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if args.frames:
        frames_main(args)
        return

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
        with contextlib.ExitStack() as stack:
            servers = {"this code": stack.enter_context(
                ServerProcess.start(settings, model=MODEL, timeout=300))}
            if args.baseline_commit:
                env = baseline_code(args.baseline_commit, folder / "baseline")
                servers[f"baseline {args.baseline_commit}"] = stack.enter_context(
                    ServerProcess.start(settings, model=MODEL, timeout=300, env=env))
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=CHROMIUM_ARGS, headless=True)
            pages = {name: open_map(browser, server, args.total)
                     for name, server in servers.items()}
            results: dict[str, list[tuple[int, float, str]]] = {name: [] for name in pages}
            with LoadWatch() as load:
                for k in range(args.repeats):  # A, B, B, A, ...: neither always first
                    names = list(pages) if k % 2 == 0 else list(pages)[::-1]
                    for name in names:
                        offset = list(pages).index(name) * 3  # own thresholds per server
                        results[name].append(
                            measure(pages[name], args.select + 7 * k + offset))
                        load.sample()
            browser.close()
    finally:
        stop_embedded(folder)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"machine: {platform.node()}, {os.cpu_count()} cores; {load.line()}")
    medians = {}
    for name, runs in results.items():
        (n0, first, how0), warm = runs[0], runs[1:]
        print(f"[{name}] first selection -> drawn: {n0} points in {first:.2f} s "
              f"(server: {how0})")
        for n, seconds, how in warm:
            print(f"[{name}] warm selection -> drawn: {n} points in {seconds:.2f} s "
                  f"(server: {how})")
        if warm:
            medians[name] = statistics.median(s for _, s, _ in warm)
            print(f"[{name}] warm median: {medians[name]:.2f} s, min "
                  f"{min(s for _, s, _ in warm):.2f} s (target <= 1 s for 5k points)")
    if len(medians) == 2:
        ours, base = medians.values()
        print(f"warm median, this code / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
