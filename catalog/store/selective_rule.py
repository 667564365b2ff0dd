"""How many code candidates a selective filter's compact pass must re-rank, per model.

A filter passing a few thousand rows is cheapest answered from those rows' 2-bit codes
(read through the filter's own index on `search_codes`), the nearest by code
re-ranked with the full vectors (`symcat.query.selective`). How many candidates that
takes depends on the vectors and on where the passing rows lie: spread over the whole
model (an independent filter keeps some of the query's neighbours, which the codes rank
well) or grouped far from the query (a correlated filter that excludes its
neighbourhood: every passing row is nearly as far as the next, where the codes rank
poorly; a fixed 800 candidates gave recall@10 0.82 for one far cluster of 10k rows at
1M). So the count is simulated on the model's own vectors for both cases and several
row counts, exactly as the pass ranks them, when its search lists are built; the planner
takes the pass only where the simulated recall reaches its floor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcat.store.code_levels import RANKING, code_scores, dots, level_step, levels

# Passing rows simulated (the planner uses the smallest size >= its estimate; above the
# largest, the pass is not offered), and candidate counts tried, cheapest first.
SIZES = (1_000, 2_500, 5_000, 10_000, 20_000, 40_000)
CANDIDATES_TRIED = (100, 200, 400, 800, 1_600, 2_500, 5_000, 10_000)
# Mean recall@10 over the sample queries and groups, with a margin over the planner's
# floor of 0.95: the simulated far groups are easier than the hardest real far cluster
# (1M embedding-like vectors, 10k rows, 2,500 candidates: mean 0.984 simulated, the
# benchmark's correlated 1% cluster 0.938; 5,000: 0.994); and at least TAIL_RECALL for
# the worst tenth of them.
TARGET_RECALL = 0.99
TAIL_RECALL = 0.9
QUERIES = 16
K = 10
# A far filter passes the `size` rows nearest to another stored vector drawn at random
# (a far cluster, as tight as the data allows), ANCHORS of them a query, none of the
# query's nearest NEAR_SHARE of the rows (its neighbourhood). Whole search lists grouped
# around a random list flattered the rule (1M embedding-like vectors, 10k rows, 2,500
# candidates: recall 0.994 simulated where the benchmark's far clusters gave 0.93-0.97):
# lists straddle clusters, and a looser group is easier for the codes to rank.
NEAR_SHARE = 0.02
ANCHORS = 2


def selective_rule(vectors: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    """{"spread"|"far": {str(size): {"candidates", "recall"}}}: per case and passing-row
    count, the fewest candidates whose simulated mean recall@10 reaches TARGET_RECALL
    and whose worst tenth reaches TAIL_RECALL
    ("candidates" = the size itself where none did: every passing row re-ranked, i.e.
    exact). `vectors`: the model's unit vectors (float16 or float32)."""
    n, dim = vectors.shape
    level = level_step(dim)
    sizes = [s for s in SIZES if s <= n // 4]
    found: dict[str, dict[int, dict[int, list[float]]]] = {"spread": {}, "far": {}}
    if not sizes:
        return {"queries": 0, "target": TARGET_RECALL, "ranking": RANKING, "spread": {},
                "far": {}}
    near = max(K, int(NEAR_SHARE * n))
    for index in rng.choice(n, min(QUERIES, n), replace=False).tolist():
        q = vectors[index].astype(np.float32)
        to_query = dots(vectors, q)
        neighbourhood = np.argpartition(-to_query, near)[:near]
        others = np.setdiff1d(np.arange(n), np.append(neighbourhood, index))
        everyone = np.delete(np.arange(n), index)  # spread: any row but the query
        groups = []
        for anchor in rng.choice(others, ANCHORS, replace=False).tolist():
            to_anchor = dots(vectors, vectors[anchor].astype(np.float32))
            to_anchor[neighbourhood] = -np.inf
            to_anchor[index] = -np.inf
            top = np.argpartition(-to_anchor, sizes[-1])[:sizes[-1]]
            groups.append(top[np.argsort(-to_anchor[top])])
        for size in sizes:
            pools = [rng.choice(everyone, size, replace=False), *(g[:size] for g in groups)]
            for case, pool in zip(("spread", *["far"] * ANCHORS), pools, strict=True):
                chosen = vectors[pool].astype(np.float32)
                truth = set(np.argsort(-(chosen @ q))[:K].tolist())
                codes = code_scores(levels(chosen, level), q)
                ranked = np.argsort(codes, kind="stable")
                for c in CANDIDATES_TRIED:
                    recall = len(truth & set(ranked[:c].tolist())) / max(1, len(truth))
                    found[case].setdefault(size, {}).setdefault(c, []).append(recall)
    record: dict[str, Any] = {"queries": min(QUERIES, n), "target": TARGET_RECALL,
                              "ranking": RANKING}
    for case, by_size in found.items():
        record[case] = {}
        for size, by_count in sorted(by_size.items()):
            mean = {c: float(np.mean(v)) for c, v in by_count.items()}
            tail = {c: float(np.percentile(v, 10)) for c, v in by_count.items()}
            good = [c for c in CANDIDATES_TRIED if c < size and mean[c] >= TARGET_RECALL
                    and tail[c] >= TAIL_RECALL]
            candidates = good[0] if good else size
            record[case][str(size)] = {"candidates": candidates,
                                       "recall": round(mean[good[0]], 3) if good else 1.0}
    return record


def candidates_for(rule: dict[str, Any] | None, rows: float, case: str
                   ) -> tuple[int, float, int] | None:
    """(candidates, simulated recall, size simulated) for a filter of `rows` passing rows
    in `case` ("spread" or "far"): the smallest simulated size >= rows, with the most
    candidates and the least recall of it and every smaller size (more rows never need
    fewer candidates; the simulation's noise says otherwise at times); None where the
    model was never simulated or `rows` is above every size."""
    sizes = sorted(((int(s), v) for s, v in ((rule or {}).get(case) or {}).items()))
    candidates, recall = 0, 1.0
    for size, measured in sizes:
        candidates = max(candidates, int(measured["candidates"]))
        recall = min(recall, float(measured["recall"]))
        if size >= rows:
            return candidates, recall, size
    return None
