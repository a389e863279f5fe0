"""Timing and the benchmark's table: round-robin samples, quartiles, rows, machine facts."""

from __future__ import annotations

import csv
import datetime as _dt
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from qhnet.io import atomic_path

COLUMNS = (
    "section",
    "path",
    "objective",
    "n",
    "layers",
    "shots",
    "steps",
    "status",
    "median_s",
    "q25_s",
    "q75_s",
    "samples",
    "calls",
    "compile_s",
    "max_dev",
    "ratio_to_qhnet",
    "note",
)


def quartiles(xs) -> tuple[float, float, float]:
    q25, q50, q75 = np.percentile(np.asarray(xs, dtype=float), [25, 50, 75])
    return float(q50), float(q25), float(q75)


def round_robin(calls: dict, rounds: int, target: float) -> dict:
    """Time each ``calls[name]()`` in turn, ``rounds`` times; per-call seconds per sample.

    A sample is ``k`` back-to-back calls with k chosen so that a sample lasts
    about ``target`` seconds (fast paths are not timed one call at a time). The
    start rotates every round so that no path always follows the same one.
    """
    ks = {}
    for name, fn in calls.items():
        once = math.inf
        for _ in range(3):
            t = time.perf_counter()
            fn()
            once = min(once, time.perf_counter() - t)
            if once > target:
                break
        ks[name] = max(1, min(10_000, int(target / max(once, 1e-7))))
    samples = {name: [] for name in calls}
    names = list(calls)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn, k = calls[name], ks[name]
            t = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t) / k)
    return {name: (samples[name], ks[name] * rounds) for name in names}


def row(**kw) -> dict:
    out = {c: "" for c in COLUMNS}
    out.update({k: v for k, v in kw.items() if v is not None})
    return out


def fmt_float(x) -> str:
    return "" if x is None or x == "" else f"{x:.6g}"


def cpu_model(default: str = "unknown") -> str:
    """The CPU's model name from /proc/cpuinfo (``default`` where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return default


def machine_info(cpu) -> dict:
    """The machine, the pinned CPU and the versions that matter for the timings."""
    model = cpu_model()
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for mod in ("jax", "jaxlib", "pennylane", "pennylane_lightning", "numpy", "scipy"):
        try:
            versions[mod] = version(mod.replace("_", "-"))
        except PackageNotFoundError:
            versions[mod] = "n/a"
    return dict(
        cpu=model,
        cores=os.cpu_count(),
        pinned=cpu,
        date=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        python=platform.python_version(),
        platform=platform.platform(),
        load_start=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        **versions,
    )


def ms(x) -> str:
    if x in ("", None):
        return "–"
    x = 1e3 * float(x)
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def pin_cpu(cpu: int | None) -> int:
    """Pin this process (and its children) to one CPU; returns it (-1: not pinned)."""
    if cpu is None:
        cpu = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else -1
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    return cpu


def write_rows(path: Path, rows: list[dict]) -> None:
    """The results table, written atomically (floats to six significant digits)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: fmt_float(v) if isinstance(v, float) else v for k, v in r.items()})
