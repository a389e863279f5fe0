#!/usr/bin/env python
"""Benchmark: qhnet's engines against plain PennyLane, one thread, medians and ratios.

Run ``make benchmark`` (= ``.venv/bin/python scripts/tools/benchmark.py``); ``--quick``
is a short run for the smoke test. Writes ``<out>/benchmark.csv`` (one row per
measurement) and ``<out>/benchmark.md`` (the machine, the targets and the tables).

Sections (the parts live in ``engine_bench/``; the targets in
``engine_bench/targets.yaml``):

exact
    value + gradient of the exact ELBO (λ = 1) and SELBO (λ = 1, h = n/4) on a
    random cost table, for n ∈ {8, …, 16} and layers ∈ {1, 2}, by
    ``qhnet`` (``training.value_and_grad_fn``), ``reference`` (a minimal JAX
    statevector written here: naive RY, one gather per CNOT: the arithmetic
    limit of the obvious code), ``pl_autograd`` (default.qubit, backprop,
    autograd), ``pl_jax`` (default.qubit, backprop, ``jax.jit``; compile time
    reported apart) and ``lightning_adjoint`` (lightning.qubit: probabilities,
    then the adjoint gradient of ⟨diag(w)⟩ as a SparseHamiltonian with
    w = dJ/dq held fixed, which is dJ/dθ by the chain rule; both costs counted).
    All paths are timed round-robin in the same process, so the ratios see the
    same machine load; every path's value and gradient are compared with
    qhnet's (``max_dev``). A (path, n) whose single call exceeds ``--cap`` s is
    skipped, and so are its larger n.
sampled
    one SELBO step from shots (n = 14, layers = 1, N_qc = m = 100 and 1000):
    ``qhnet_sampled`` (``sampled.estimate``: shots from the exact engine,
    histogram kernel sums), ``qhnet_sampled_dq`` (the same estimator on
    default.qubit shots) and ``plain_sampled`` (default.qubit with
    ``qml.set_shots``, one QNode call per circuit for the 2P + 1 parameter-shifted
    circuits, O(S²) pairwise kernel sums). ``max_dev``: the plain O(S²) estimator
    against qhnet's on the same shots.
run
    a whole 500-step Adam run of the exact ELBO at n = 14, layers = 1, process
    start to result (a subprocess per path: interpreter, imports, compilation,
    500 steps); qhnet via ``training.train`` with a cold (fresh) and then a warm
    persistent compilation cache. Capped at ``--run-cap`` s per path.

Time is wall-clock on one thread: BLAS/OpenMP are limited to one thread, XLA
runs single-threaded (``qhnet.engine._jax``), and the process (and its subprocesses)
is pinned to one CPU (``--cpu``). The persistent JAX cache is off in the main
process, so the compile times are cold.
"""

from __future__ import annotations

import os
import sys

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("QHNET_JAX_CACHE", "off")  # cold compile times; --_run sets its own

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from engine_bench.report import write_markdown  # noqa: E402
from engine_bench.sections import (  # noqa: E402
    EXACT_PATHS,
    RUN_PATHS,
    child_run,
    exact_section,
    run_section,
    sampled_section,
)
from engine_bench.timing import machine_info, pin_cpu, write_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def args_ns(args):
    return [8, 10] if args.quick else [8, 10, 12, 14, 16]


def args_layers(args):
    return [1] if args.quick else [1, 2]


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="short run (n ∈ {8, 10}, layers 1, few samples)"
    )
    p.add_argument("--out", default=str(ROOT / "results" / "benchmarks"), help="output directory")
    p.add_argument(
        "--sections", default="exact,sampled,run", help="comma-separated: exact, sampled, run"
    )
    p.add_argument("--rounds", type=int, default=None, help="timing samples per path")
    p.add_argument("--cap", type=float, default=2.0, help="skip a (path, n) slower than this (s)")
    p.add_argument("--run-cap", type=float, default=300.0, help="cap per whole run (s)")
    p.add_argument(
        "--compile-cap",
        type=float,
        default=90.0,
        help="after a compile slower than this (s), skip the path at larger n",
    )
    p.add_argument("--cpu", type=int, default=None, help="CPU to pin to (-1: do not pin)")
    p.add_argument("--_run", dest="child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=14, help=argparse.SUPPRESS)
    p.add_argument("--layers", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=500, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")

    if args.child:  # subprocess of the run section
        print(json.dumps(child_run(args.child, args.n, args.layers, args.steps)))
        return 0

    cpu = pin_cpu(args.cpu)

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sections - {"exact", "sampled", "run"}
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")
    rounds = args.rounds or (3 if args.quick else 15)
    target = 0.005 if args.quick else 0.05
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:7.1f} s] {msg}", flush=True)

    info = machine_info(cpu)
    rows: list[dict] = []
    if "exact" in sections:

        def exclude(path, n, layers, objective):
            # each pl_jax compile takes ~10 s: in a quick run, one exercises the path
            if args.quick and path == "pl_jax" and (n, layers, objective) != (8, 1, "elbo"):
                return "quick run: one pl_jax configuration only (compiles take ~10 s each)"
            return None

        rows += exact_section(
            args_ns(args),
            args_layers(args),
            ("elbo", "selbo"),
            EXACT_PATHS,
            rounds,
            target,
            args.cap,
            log,
            exclude,
            args.compile_cap,
        )
    if "sampled" in sections:
        rows += sampled_section(
            8 if args.quick else 14,
            1,
            (100,) if args.quick else (100, 1000),
            rounds,
            target,
            log,
        )
    if "run" in sections:
        rows += run_section(
            8 if args.quick else 14,
            1,
            20 if args.quick else 500,
            RUN_PATHS,
            args.run_cap,
            log,
            lambda path: (
                "quick run: PennyLane paths are exercised by the exact section"
                if args.quick and path.startswith(("pl_", "lightning"))
                else None
            ),
        )
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    write_rows(out_dir / "benchmark.csv", rows)
    write_markdown(out_dir / "benchmark.md", rows, info, args.quick)
    log(f"wrote {out_dir / 'benchmark.csv'} and {out_dir / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
