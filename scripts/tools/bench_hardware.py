#!/usr/bin/env python
"""Benchmark of the hardware path: old per-circuit plugin path against one job per step.

Usage: ``.venv/bin/python scripts/tools/bench_hardware.py [--quick] [--out docs/benchmarks]``.
Writes ``hardware.csv`` and ``hardware.md`` (machine, per-step costs, jobs per step,
reproducibility) and ``hardware_cost.md`` (the cost of a default run on the IBM path,
computed from ``config/config.yaml`` and a fake backend's reported timings).

Per-step cost: the shots of one SELBO training step (the unshifted circuit and the
2P ±π/2 shifts, ``shifted_angles``) from

- ``plugin``: ``DeviceShots`` (pennylane-qiskit 0.45: ``qml.execute`` over the step's
  tapes; each circuit transpiled again; on ``qiskit.remote`` one Sampler job per circuit);
- ``primitive``: ``PrimitiveShots`` (the circuit transpiled once, then one SamplerV2
  job per step with a (2P+1) × P parameter array).

Times are wall-clock medians over ``--repeats`` steps after one warm-up (the
primitive path's one-off setup is reported apart: ``one_off_setup_s``, building the
simulator or backend and the one transpilation), one thread, both paths timed
alternately in one process so the ratio sees the same load. Jobs per step are
counted by wrapping ``qiskit_ibm_runtime.SamplerV2.run``. Reproducible: the same
step generator twice gives the same shots.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from qhnet.devices.catalog import format_plan, sampled_plan  # noqa: E402
from qhnet.devices.primitives import PrimitiveShots, qpu_seconds  # noqa: E402
from qhnet.devices.shots import DeviceShots  # noqa: E402
from qhnet.engine.ansatze import init_angles  # noqa: E402
from qhnet.model.layout import n_bits  # noqa: E402
from qhnet.training.sampled import shifted_angles, step_rng  # noqa: E402

#: (device, noise or backend, n, shots): the cases measured
CASES = [
    ("qiskit.aer", None, 14, 1000),
    ("qiskit.aer", "fake_brisbane", 6, 200),
    ("qiskit.aer", "fake_brisbane", 10, 50),
    ("qiskit.remote", "fake_lagos", 6, 200),
]
QUICK = [("qiskit.aer", None, 6, 100), ("qiskit.remote", "fake_lagos", 4, 50)]


class JobCounter:
    """Counts SamplerV2.run calls of qiskit-ibm-runtime (one call = one primitive job)."""

    def __init__(self):
        from qiskit_ibm_runtime import SamplerV2

        self.cls, self.calls, self._run = SamplerV2, 0, SamplerV2.run

        def run(inner, *args, **kwargs):
            self.calls += 1
            return self._run(inner, *args, **kwargs)

        SamplerV2.run = run

    def close(self):
        self.cls.run = self._run


def make(path: str, device: str, where, ansatz: str = "ry_chain"):
    kw = {"noise": where} if device == "qiskit.aer" else {"backend": where}
    if path == "plugin":
        return DeviceShots(device, **kw)
    return PrimitiveShots(device, **kw, ansatz=ansatz)


def measure_case(device, where, n, shots, repeats, counter):
    thetas = shifted_angles(init_angles(n, 1, 0))
    rows = []
    sources = {p: make(p, device, where) for p in ("plugin", "primitive")}
    t0 = time.perf_counter()
    sources["primitive"].prepare(n, 1)  # backend (and noise model) + the one transpilation
    setup_s = time.perf_counter() - t0
    times = {p: [] for p in sources}
    jobs = {p: [] for p in sources}
    for r in range(repeats + 1):  # the first round warms up (imports, noise models)
        for p, src in sources.items():
            before = counter.calls
            t = time.perf_counter()
            src.sample(thetas, shots, step_rng(0, r))
            if r:
                times[p].append(time.perf_counter() - t)
                jobs[p].append(counter.calls - before)
    for p, src in sources.items():
        a = src.sample(thetas, shots, step_rng(7, 0))
        b = src.sample(thetas, shots, step_rng(7, 0))
        rows.append(
            {
                "device": device,
                "noise_or_backend": where or "ideal",
                "n": n,
                "circuits_per_step": len(thetas),
                "shots": shots,
                "path": p,
                "seconds_per_step": float(np.median(times[p])),
                "runtime_jobs_per_step": int(np.median(jobs[p]))
                if device == "qiskit.remote"
                else 0,
                "one_off_setup_s": setup_s if p == "primitive" else math.nan,
                "reproducible": bool(np.array_equal(a, b)),
            }
        )
    return rows


def shot_branching_reproducible(n: int, shots: int = 100) -> bool:
    """Aer with shot branching ON, same seed twice: the same shots?"""
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2

    from qhnet.devices.backends import fake_backend

    src = PrimitiveShots("qiskit.aer", noise="fake_brisbane")
    t = src.prepare(n, 1)
    sim = AerSimulator.from_backend(
        fake_backend("fake_brisbane"), max_parallel_threads=1, shot_branching_enable=True
    )
    vals = shifted_angles(init_angles(n, 1, 0)).reshape(2 * n + 1, -1)[:, t.columns]
    runs = [SamplerV2.from_backend(sim, seed=11).run([(t.circuit, vals)], shots=shots).result()]
    runs.append(SamplerV2.from_backend(sim, seed=11).run([(t.circuit, vals)], shots=shots).result())
    return bool(np.array_equal(runs[0][0].data.meas.array, runs[1][0].data.meas.array))


def default_run_cost() -> list[dict]:
    """The cost of config/config.yaml's sampled arm on qiskit.remote (fake_brisbane timings)."""
    from qhnet.devices.backends import fake_backend

    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    n, layers = n_bits(cfg["model"]["hidden"]), cfg["model"]["layers"]
    sp = cfg["sampled"]
    src = PrimitiveShots("qiskit.remote", backend="fake_brisbane")
    t = src.prepare(n, layers)
    be = fake_backend("fake_brisbane")
    out = []
    for label, runs in (
        ("one run (one seed, one dataset)", 1),
        (
            "the full sampled arm of config/config.yaml",
            len(cfg["datasets"]) * len(sp["objectives"]) * len(cfg["seeds"]),
        ),
    ):
        plan = sampled_plan(runs, sp["max_steps"], n * layers, sp["shots"])
        qpu = qpu_seconds(t, be, plan["shots"])
        out.append(
            {
                "what": label,
                "runs": runs,
                "steps_per_run": sp["max_steps"],
                "jobs": plan["jobs"],
                "circuits": plan["circuits"],
                "shots": plan["shots"],
                "qpu_seconds_lower_bound": round(qpu),
                "plugin_jobs": plan["circuits"],  # pennylane-qiskit: one job per circuit
            }
        )
    return out, t.describe(), format_plan(plan)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks"), help="output folder")
    ap.add_argument("--repeats", type=int, default=3, help="timed steps per path and case")
    ap.add_argument("--quick", action="store_true", help="tiny cases (smoke test)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    counter = JobCounter()
    try:
        rows = []
        for case in QUICK if a.quick else CASES:
            rows.extend(measure_case(*case, repeats=1 if a.quick else a.repeats, counter=counter))
    finally:
        counter.close()
    df = pd.DataFrame(rows)
    base = df[df["path"] == "plugin"].set_index(["device", "noise_or_backend", "n"])
    df["speedup_vs_plugin"] = [
        base.loc[(r.device, r.noise_or_backend, r.n), "seconds_per_step"] / r.seconds_per_step
        for r in df.itertuples()
    ]
    df.to_csv(out / "hardware.csv", index=False)
    branching = None if a.quick else {n: shot_branching_reproducible(n) for n in (6, 10)}
    import qiskit
    import qiskit_aer
    import qiskit_ibm_runtime

    lines = [
        "# Hardware path: cost per training step",
        "",
        "Written by `scripts/tools/bench_hardware.py` (do not edit). One SELBO step's shots "
        "(the unshifted circuit and 2P shifted ones, one layer of `ry_chain`), wall-clock "
        "median, one thread, both paths alternately in one process.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, qiskit {qiskit.__version__}, qiskit-aer "
        f"{qiskit_aer.__version__}, qiskit-ibm-runtime {qiskit_ibm_runtime.__version__}.",
        "",
        df.round(4).to_markdown(index=False),
        "",
        "`runtime_jobs_per_step`: Qiskit Runtime primitive jobs per step (local testing "
        "mode on the fake backend), counted at `SamplerV2.run`. `reproducible`: the same "
        "step generator twice gave the same shots.",
    ]
    if branching is not None:
        said = ", ".join(f"n = {n}: {same}" for n, same in branching.items())
        lines += [
            "",
            f"Aer shot branching ON (fake_brisbane noise, 100 shots, the same seed twice) gave "
            f"the same shots: {said}. qhnet keeps it off (the `reproducible` column is with "
            "it off).",
        ]
    (out / "hardware.md").write_text("\n".join(lines) + "\n")
    if not a.quick:
        cost, described, _ = default_run_cost()
        lines = [
            "# Cost of a default run on the IBM path",
            "",
            "Written by `scripts/tools/bench_hardware.py` from `config/config.yaml` "
            "(`sampled.*`) with `device.name: qiskit.remote`. One job per step of "
            "2P + 1 circuits, plus one final job per run. QPU seconds: circuits × shots × "
            "(circuit duration + repetition delay) from fake_brisbane's reported timings, "
            "a lower bound (no per-job overhead). `plugin_jobs`: what pennylane-qiskit's "
            "one-job-per-circuit path would submit.",
            "",
            pd.DataFrame(cost).to_markdown(index=False),
            "",
            f"Circuit: {described}.",
        ]
        (out / "hardware_cost.md").write_text("\n".join(lines) + "\n")
    print(df.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
