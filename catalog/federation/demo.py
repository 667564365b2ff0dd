"""`symcat demo --federation`: three small labs and a hub, all embedded, on this machine.

Each lab generates its own synthetic DART-PFM files, states its own sharing rules,
embeds its images, stores their plane groups and publishes; the hub subscribes to the
three and answers a cross-lab query, the plane groups by lab, a cross-lab kNN (each
neighbour with its lab) and a projection coloured by lab.
Everything lives in `<data dir>/federation-demo`, recreated at each run.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symcat.client import Catalog
from symcat.config import Settings
from symcat.federation import FederationError
from symcat.store.engine import get_engine, stop_embedded

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoLab:
    site: str
    seed: int
    files: int
    rule: str
    parts: tuple[str, ...]


LABS = (
    DemoLab("north", 11, 16, "scan_size_x_m >= 1um", ("pixels", "embeddings")),
    DemoLab("south", 12, 14, "sample ~ P", ("embeddings",)),
    DemoLab("east", 13, 12, "acquired_at >= 2019-01-01", ("embeddings", "originals")),
)
WAIT_S = 180.0


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise FederationError(f"the hub did not receive {what} within {WAIT_S:.0f} s; "
                                  "see symcat federation status")
        time.sleep(0.3)


def run_federation_demo(settings: Settings, *, echo: Echo = print,
                        out_dir: Path | None = None) -> dict[str, Any]:
    """Build the labs and the hub, print the cross-lab results, write the map PNG."""
    from symcat.embed.registry import default_extractor
    from symcat.embed.symmetry_store import SYMMETRY_MODEL, predict_catalog
    from symcat.ingest.synth.dataset import generate_dataset

    root = settings.data_dir / "federation-demo"
    for name in ("hub", *(lab.site for lab in LABS)):
        if (root / name / "pgdata").exists():
            stop_embedded(root / name)
    shutil.rmtree(root, ignore_errors=True)
    model = default_extractor()
    urls = {}
    for lab in LABS:
        lab_settings = dataclasses.replace(settings, database_url=None,
                                           data_dir=root / lab.site, site=lab.site,
                                           instrument=f"{lab.site}-afm")
        catalog = Catalog(settings=lab_settings)
        files = root / "files" / lab.site
        generate_dataset(files, lab.files, seed=lab.seed, points=64)
        catalog.federation.share("demo", lab.rule, lab.parts)
        summary = catalog.ingest([files])
        catalog.embed(model)
        predict_catalog(catalog.engine)  # plane groups travel with the scans' metadata
        shared = _scalar(catalog.engine, "SELECT count(*) FROM scans WHERE shared")
        echo(f"lab {lab.site}: {summary.new} scans, shares {shared} ({lab.rule!r}, with "
             f"{', '.join(lab.parts)})")
        urls[lab.site] = catalog.federation.prepare().url
    hub_settings = dataclasses.replace(settings, database_url=None, data_dir=root / "hub",
                                       site="hub")
    hub = Catalog(settings=hub_settings)
    for site, url in urls.items():
        hub.federation.add_lab(url, name=site)
    engine = get_engine(hub_settings)
    _wait(lambda: _scalar(engine, "SELECT count(*) FROM pg_subscription_rel "
                                  "WHERE srsubstate <> 'r'") == 0, "the labs' initial copies")
    echo("\nthe hub, by lab (cross-lab query):")
    frame = hub.scans()
    echo(frame.groupby(["site", "imaging_mode"]).size().rename("scans").to_string())
    wide = hub.scans(where="scan_size_x_m >= 2um")
    echo(f"\nscans of 2 um or more, all labs: {len(wide)} "
         f"({', '.join(f'{s} {n}' for s, n in wide['site'].value_counts().sort_index().items())})")
    groups = frame.groupby("site")["symmetry"].value_counts().rename("scans")
    echo(f"\nplane groups at the hub ({SYMMETRY_MODEL}, computed at each lab), by lab:")
    echo(groups.to_string())
    query = frame[frame["site"] == "south"].iloc[0]
    hits = hub.neighbors(query["id"], k=8, model=model)
    echo(f"\nthe 8 scans most like {query['file_name']} (lab south), from every lab:")
    shown = hits[["rank", "distance", "site", "sample_name", "file_name"]].copy()
    shown["distance"] = shown["distance"].round(4)
    echo(shown.to_string(index=False))
    result: dict[str, Any] = {"hub": hub, "labs": urls, "neighbors": hits}
    projection = hub.project(model=model, random_state=0)
    counts = projection["site"].value_counts().sort_index()
    echo(f"\nprojection {projection.id} of {len(projection)} scans: "
         + ", ".join(f"{s} {n}" for s, n in counts.items()))
    from symcat.project.plot import map_figure, save_png

    out = out_dir or root / "output"
    out.mkdir(parents=True, exist_ok=True)
    path = save_png(map_figure(projection, color_by="site", thumbnails=20,
                               title=f"{len(projection)} scans of 3 labs, coloured by lab"),
                    out / "federation-map.png")
    echo(f"map coloured by lab: {path}")
    echo(f"\nthe hub: SYMCAT_DATA_DIR={root / 'hub'} symcat federation status")
    echo("the four servers keep running (the hub keeps receiving); stop each with "
         f"SYMCAT_DATA_DIR={root}/<lab or hub> symcat federation stop")
    result["map"] = path
    return result


def _scalar(engine: Any, sql: str) -> Any:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()
