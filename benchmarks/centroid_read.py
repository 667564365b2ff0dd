"""Reading a model's search-list centroids: binary (symcat) against pgvector's text parse.

    python benchmarks/centroid_read.py --work /work/bench/knn1m-el    # a catalog with lists

Every process's first filtered search loads the zone maps, and every writer its held
lists, with `symcat.store.search_lists.stored_centroids`. It reads the halfvec
centroids in binary; the baseline is what it did before (session 9): the same rows
through SQLAlchemy, each parsed from pgvector's text form. Both alternate
(`benchmarks/_timing.py`); the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True,
                        help="data folder of a catalog with search lists (benchmarks/knn.py)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ["SYMCAT_DATA_DIR"] = str(args.work)
    from sqlalchemy import func, select

    from symcat.client import Catalog
    from symcat.store.models import SearchList
    from symcat.store.models.embedding import vector_array
    from symcat.store.search_lists import stored_centroids

    engine = Catalog().engine
    with engine.connect() as conn:
        model_id, lists = conn.execute(
            select(SearchList.model_id, func.count()).group_by(SearchList.model_id)
            .order_by(func.count().desc()).limit(1)).one()

        def text_parse() -> None:
            rows = conn.execute(select(SearchList.list_id, SearchList.centroid)
                                .where(SearchList.model_id == model_id)
                                .order_by(SearchList.list_id)).all()
            np.stack([vector_array(r.centroid) for r in rows]).astype(np.float32)

        def binary() -> None:
            stored_centroids(conn, model_id)

        _, ours = stored_centroids(conn, model_id)
        rows = conn.execute(select(SearchList.centroid).where(SearchList.model_id == model_id)
                            .order_by(SearchList.list_id)).scalars().all()
        same = np.array_equal(ours, np.stack([vector_array(c) for c in rows]).astype(np.float32))
        with LoadWatch() as load:
            times = interleave({"text parse": text_parse, "binary": binary}, args.repeats, load)
    print(f"model {model_id}: {lists} centroids of {ours.shape[1]} dims; identical values: "
          f"{same}")
    print(describe(times, baseline="text parse"))
    print(load.line())


if __name__ == "__main__":
    main()
