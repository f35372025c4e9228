"""Timing helpers shared by the benchmark scripts."""
from __future__ import annotations

import resource
import time


def rss_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn):
    """(seconds, result) of one call."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def best(fn, repeat: int) -> float:
    """The fastest of ``repeat`` calls, in seconds: on a shared machine the
    minimum is the figure least disturbed by other work."""
    return min(timed(fn)[0] for _ in range(repeat))
