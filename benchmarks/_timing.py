"""Timing that load on a shared machine cannot fool: interleaved A/B repeats, min and
median, the load average before and after, and a "busy" mark.

A baseline and a candidate timed one after the other see different load; a CPU-bound
baseline is slowed more by load than an I/O-bound candidate, so a ratio taken that way
can look good on a busy machine and fail on a quiet one (issue 17). Here every repeat
runs each contender once, in turn (A, B, A, B, ...), and a figure is marked busy when
the 1-minute load average, before or after, exceeds 0.75 per core (1.5 on 2 cores).

    from _timing import LoadWatch, interleave, describe

    with LoadWatch() as load:
        times = interleave({"plain": run_plain, "symcat": run_ours}, repeats=3)
    print(describe(times, baseline="plain"))
    print(load.line())

Each callable either returns its own seconds (a float, e.g. when it times only a part
of what it does, or runs in a child process) or returns None to be timed whole.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

BUSY_PER_CORE = 0.75  # 1.5 on the project's 2-core machine


def cores() -> int:
    return os.cpu_count() or 1


def busy_threshold() -> float:
    return BUSY_PER_CORE * cores()


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


@dataclass
class LoadWatch:
    """Load average before and after a measurement; `busy` if either was above the mark."""

    before: float = 0.0
    after: float = 0.0
    samples: list[float] = field(default_factory=list)

    def start(self) -> LoadWatch:
        self.before = load_average()
        self.samples.append(self.before)
        return self

    def stop(self) -> None:
        self.after = load_average()
        self.samples.append(self.after)

    def __enter__(self) -> LoadWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sample(self) -> None:
        """Record the load average now (between repeats)."""
        self.samples.append(load_average())

    @property
    def peak(self) -> float:
        return max(self.samples) if self.samples else load_average()

    @property
    def busy(self) -> bool:
        return self.peak > busy_threshold()

    def mark(self) -> str:
        return " [BUSY]" if self.busy else ""

    def line(self) -> str:
        state = (f"BUSY (above {busy_threshold():.1f} on {cores()} cores): "
                 "re-take on a quiet machine before quoting" if self.busy else "quiet")
        return (f"load average before {self.before:.2f}, after {self.after:.2f}, "
                f"peak {self.peak:.2f}: {state}")

    def as_dict(self) -> dict[str, object]:
        return {"load_before": round(self.before, 2), "load_after": round(self.after, 2),
                "load_peak": round(self.peak, 2), "busy": self.busy}


def interleave(contenders: Mapping[str, Callable[[], float | None]], repeats: int,
               load: LoadWatch | None = None) -> dict[str, list[float]]:
    """Seconds of each contender, run in turn `repeats` times (A, B, A, B, ...); the
    starting contender alternates each repeat so neither always runs first."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            started = time.perf_counter()
            own = contenders[name]()
            times[name].append(float(own) if own is not None else
                               time.perf_counter() - started)
            if load is not None:
                load.sample()
    return times


def stats(seconds: list[float]) -> dict[str, float]:
    return {"min": min(seconds), "median": statistics.median(seconds), "n": len(seconds)}


def describe(times: Mapping[str, list[float]], baseline: str, unit: str = "s") -> str:
    """One line per contender (min, median, all runs) and its ratio to the baseline."""
    base = stats(times[baseline])
    lines = []
    for name, seconds in times.items():
        s = stats(seconds)
        runs = ", ".join(f"{t:.3g}" for t in seconds)
        line = f"{name:>12}: min {s['min']:.3f} {unit}, median {s['median']:.3f} {unit} ({runs})"
        if name != baseline:
            line += (f"; ratio to {baseline}: min {s['min'] / base['min']:.2f}, "
                     f"median {s['median'] / base['median']:.2f}")
        lines.append(line)
    return "\n".join(lines)


def ratios(times: Mapping[str, list[float]], baseline: str, name: str) -> dict[str, float]:
    base, ours = stats(times[baseline]), stats(times[name])
    return {"min": round(ours["min"] / base["min"], 3),
            "median": round(ours["median"] / base["median"], 3)}
