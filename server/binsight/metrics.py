"""Counters, gauges and latency histograms, rendered as Prometheus text (``/metrics`` on the
review page's port): RPC latency by method and status, jobs by state, queue depth, open streams.

Small on purpose (no client library): a facility's Prometheus scrapes a handful of series, and a
dependency for four metric kinds is more than the code it would save.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable

# seconds; a unary call served from memory takes about a millisecond, an export of every bin seconds
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._histograms: dict[str, dict[Labels, list[float]]] = defaultdict(dict)  # bucket counts, sum, count
        self._gauges: dict[str, Callable[[], dict[Labels, float]]] = {}
        self._help: dict[str, str] = {}

    def count(self, name: str, help: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._help.setdefault(name, help)
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def observe(self, name: str, help: str, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._help.setdefault(name, help)
            series = self._histograms[name].setdefault(key, [0.0] * (len(BUCKETS) + 3))  # buckets, +Inf, sum, count
            series[bisect.bisect_left(BUCKETS, seconds)] += 1
            series[-2] += seconds
            series[-1] += 1

    def gauge(self, name: str, help: str, read: Callable[[], dict[Labels, float]]) -> None:
        """A gauge read when scraped (queue depth, jobs by state)."""
        with self._lock:
            self._help[name] = help
            self._gauges[name] = read

    def render(self) -> str:
        with self._lock:
            counters = {n: dict(s) for n, s in self._counters.items()}
            histograms = {n: {k: list(v) for k, v in s.items()} for n, s in self._histograms.items()}
            gauges = dict(self._gauges)
            helps = dict(self._help)
        lines: list[str] = []
        for name, series in sorted(counters.items()):
            lines += [f"# HELP {name} {helps[name]}", f"# TYPE {name} counter"]
            lines += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
        for name, series in sorted(histograms.items()):
            lines += [f"# HELP {name} {helps[name]}", f"# TYPE {name} histogram"]
            for key, values in sorted(series.items()):
                running = 0.0
                for bound, n in zip((*BUCKETS, float("inf")), values[:-2]):
                    running += n
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    lines.append(f"{name}_bucket{_labels(key + (('le', le),))} {running:g}")
                lines.append(f"{name}_sum{_labels(key)} {values[-2]:g}")
                lines.append(f"{name}_count{_labels(key)} {values[-1]:g}")
        for name, read in sorted(gauges.items()):
            lines += [f"# HELP {name} {helps[name]}", f"# TYPE {name} gauge"]
            lines += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(read().items())]
        return "\n".join(lines) + "\n"


def _labels(key: Labels) -> str:
    if not key:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in key) + "}"
