"""The benchmark's three measurements: exact step, sampled step, whole run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from engine_bench.paths import BUILDERS, JIT_PATHS, FixedShots, build_plain_sampled
from engine_bench.problem import LAM, LR, THETA_SEED, bandwidth, random_table
from engine_bench.timing import quartiles, round_robin, row

SCRIPT = Path(__file__).resolve().parent.parent / "benchmark.py"
EXACT_PATHS = ("qhnet", "reference", "pl_autograd", "pl_jax", "lightning_adjoint")
SAMPLED_PATHS = ("qhnet_sampled", "qhnet_sampled_dq", "plain_sampled")
RUN_PATHS = (
    "qhnet_cold",
    "qhnet_warm",
    "reference",
    "pl_autograd",
    "pl_jax",
    "lightning_adjoint",
)


def exact_section(
    ns, layer_list, objectives, paths, rounds, target, cap, log, exclude=None, compile_cap=90.0
):
    """Rows of the exact section; ``exclude(path, n, layers, objective)`` → reason to skip."""
    from qhnet.engine.circuit import init_angles

    rows = []
    skip: dict[tuple, str] = {}  # (path, layers, objective) -> reason, for larger n
    for layers in layer_list:
        for objective in objectives:
            for n in ns:
                ll = random_table(n)
                theta0 = init_angles(n, layers, THETA_SEED)
                built, compile_s, results, status, firsts = {}, {}, {}, {}, {}
                for path in paths:
                    key = (path, layers, objective)
                    reason = exclude(path, n, layers, objective) if exclude else None
                    if key in skip or reason:
                        status[path] = ("skipped", skip.get(key, reason))
                        continue
                    try:
                        step, prep, unpack = BUILDERS[path](objective, n, layers, ll)
                        theta = prep(theta0)
                        t = time.perf_counter()
                        out = step(theta)
                        first = time.perf_counter() - t
                        t = time.perf_counter()
                        out = step(theta)
                        once = time.perf_counter() - t
                    except Exception as exc:  # a path that fails is recorded, not fatal
                        status[path] = ("failed", f"{type(exc).__name__}: {exc}"[:300])
                        log(f"  {path} n={n} L={layers} {objective}: FAILED {exc!r}")
                        continue
                    results[path] = unpack(out)
                    firsts[path] = first
                    if path in JIT_PATHS:
                        compile_s[path] = max(0.0, first - once)
                        if compile_s[path] > compile_cap:
                            skip[key] = (
                                f"compiling at n={n} took {compile_s[path]:.0f} s "
                                f"(> {compile_cap:g} s)"
                            )
                    if once > cap:
                        reason = f"single call {once:.2f} s > cap {cap:g} s"
                        status[path] = ("skipped", reason)
                        skip[key] = f"a call at n={n} took {once:.2f} s (> cap {cap:g} s)"
                        continue
                    built[path] = (step, theta)
                ref = results.get("qhnet")
                timings = round_robin(
                    {p: (lambda s=s, th=th: s(th)) for p, (s, th) in built.items()},
                    rounds,
                    target,
                )
                med = {p: quartiles(timings[p][0])[0] for p in timings}
                for path in paths:
                    dev = None
                    if ref is not None and path in results:
                        v, g = results[path]
                        dev = max(abs(v - ref[0]), float(np.max(np.abs(g - ref[1]))))
                    if path in timings:
                        m, q25, q75 = quartiles(timings[path][0])
                        st, note = "ok", ""
                        if dev is not None and not dev <= 1e-8:
                            st, note = "disagrees", f"max deviation {dev:.2e} > 1e-8"
                        rows.append(
                            row(
                                section="exact",
                                path=path,
                                objective=objective,
                                n=n,
                                layers=layers,
                                status=st,
                                median_s=m,
                                q25_s=q25,
                                q75_s=q75,
                                samples=len(timings[path][0]),
                                calls=timings[path][1],
                                compile_s=compile_s.get(path),
                                max_dev=dev,
                                ratio_to_qhnet=(m / med["qhnet"]) if "qhnet" in med else None,
                                note=note,
                            )
                        )
                    else:
                        st, note = status.get(path, ("skipped", "not run"))
                        rows.append(
                            row(
                                section="exact",
                                path=path,
                                objective=objective,
                                n=n,
                                layers=layers,
                                status=st,
                                compile_s=compile_s.get(path),
                                max_dev=dev,
                                note=note,
                            )
                        )
                log(
                    f"exact n={n} L={layers} {objective}: "
                    + ", ".join(f"{p} {1e3 * med[p]:.3g} ms" for p in med)
                    + " (first calls: "
                    + ", ".join(f"{p} {t:.2f} s" for p, t in firsts.items())
                    + ")"
                )
    return rows


def sampled_section(n, layers, shot_list, rounds, target, log) -> list[dict]:
    """Rows of the sampled section: one SELBO step from shots, per shot count."""
    from qhnet.devices.shots import DeviceShots
    from qhnet.engine.circuit import init_angles
    from qhnet.training import sampled

    rows = []
    ll = random_table(n)
    theta = init_angles(n, layers, THETA_SEED)
    h = bandwidth(n)
    dq = DeviceShots("default.qubit")
    for shots in shot_list:
        prior = shots
        kw = dict(lam=LAM, h=h, shots=shots, prior_samples=prior)
        rngs = {path: np.random.default_rng(i + 1) for i, path in enumerate(SAMPLED_PATHS)}
        plain = build_plain_sampled(n, layers, ll, shots, prior)
        calls = {
            "qhnet_sampled": lambda kw=kw, rng=rngs["qhnet_sampled"]: sampled.estimate(
                theta, ll, "selbo", rng=rng, **kw
            ),
            "qhnet_sampled_dq": lambda kw=kw, rng=rngs["qhnet_sampled_dq"]: sampled.estimate(
                theta, ll, "selbo", rng=rng, source=dq, **kw
            ),
            "plain_sampled": lambda plain=plain, rng=rngs["plain_sampled"]: plain(theta, rng),
        }
        # the two estimators on the same shots and prior samples
        v_p, g_p, idx = plain(theta, np.random.default_rng(99))
        e = sampled.estimate(
            theta, ll, "selbo", source=FixedShots(idx), rng=np.random.default_rng(99), **kw
        )
        dev = max(abs(e.objective - v_p), float(np.max(np.abs(e.grad - g_p))))
        timings = round_robin(calls, rounds, target)
        med = {p: quartiles(timings[p][0])[0] for p in timings}
        for path in SAMPLED_PATHS:
            m, q25, q75 = quartiles(timings[path][0])
            rows.append(
                row(
                    section="sampled",
                    path=path,
                    objective="selbo",
                    n=n,
                    layers=layers,
                    shots=shots,
                    status="ok" if dev <= 1e-8 else "disagrees",
                    median_s=m,
                    q25_s=q25,
                    q75_s=q75,
                    samples=len(timings[path][0]),
                    calls=timings[path][1],
                    max_dev=dev if path == "plain_sampled" else None,
                    ratio_to_qhnet=m / med["qhnet_sampled"],
                    note=f"prior samples m = {prior}",
                )
            )
        log(f"sampled n={n} N_qc={shots}: " + ", ".join(f"{p} {1e3 * med[p]:.3g} ms" for p in med))
    return rows


def child_run(path: str, n: int, layers: int, steps: int) -> dict:
    """Body of ``--_run``: one whole run; prints timings (the parent measures the wall)."""
    t0 = time.perf_counter()
    if path == "qhnet":
        from qhnet.training import train

        t_import = time.perf_counter() - t0
        res = train(
            random_table(n),
            "elbo",
            lam=LAM,
            ansatz="ry_chain",  # the circuit every path of the benchmark builds
            layers=layers,
            lr=LR,
            max_steps=steps,
            min_steps=steps,
            optimizer="adam",
            rtol=0.0,
            gtol=0.0,
            seeds=(0,),
        )[0]
        return dict(
            objective=res.objective,
            steps=res.steps,
            t_import=t_import,
            t_after_import=time.perf_counter() - t0 - t_import,
        )
    from qhnet.engine.circuit import init_angles
    from qhnet.training.optimisers import adam_ascent, adam_init

    step, prep, unpack = BUILDERS[path]("elbo", n, layers, random_table(n))
    t_import = time.perf_counter() - t0
    theta = init_angles(n, layers, 0)
    m, v, t = adam_init(theta)
    t_first = None
    for _ in range(steps):
        _, g = unpack(step(prep(theta)))
        if t_first is None:
            t_first = time.perf_counter() - t0 - t_import
        theta, m, v, t = adam_ascent(theta, g, m, v, t, LR)
    objective, _ = unpack(step(prep(theta)))
    return dict(
        objective=objective,
        steps=steps,
        t_import=t_import,
        t_first_step=t_first,
        t_after_import=time.perf_counter() - t0 - t_import,
    )


def run_section(n, layers, steps, paths, cap, log, exclude=None) -> list[dict]:
    """Rows of the run section: one subprocess per path, process start to result."""
    cache = tempfile.mkdtemp(prefix="qhnet-bench-jax-")
    try:
        rows = _run_section(n, layers, steps, paths, cap, log, exclude, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    order = {p: i for i, p in enumerate(paths)}
    return sorted(rows, key=lambda r: order[r["path"]])


def _run_section(n, layers, steps, paths, cap, log, exclude, cache) -> list[dict]:
    rows, results = [], {}

    def not_run(path, status, note):
        return row(
            section="run",
            path=path,
            objective="elbo",
            n=n,
            layers=layers,
            steps=steps,
            status=status,
            note=note,
        )

    for path in paths:
        reason = exclude(path) if exclude else None
        if reason:
            rows.append(not_run(path, "skipped", reason))
            continue
        child = "qhnet" if path.startswith("qhnet") else path
        env = dict(os.environ)
        env["QHNET_JAX_CACHE"] = cache if child == "qhnet" else "off"
        cmd = [sys.executable, str(SCRIPT), "--_run", child]
        cmd += ["--n", str(n), "--layers", str(layers), "--steps", str(steps)]
        t = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            wall = time.perf_counter() - t
            rows.append(not_run(path, "timeout", f"stopped after {wall:.0f} s (cap {cap:g} s)"))
            log(f"run {path}: timeout")
            continue
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()[-1][:300] if proc.stderr else ""
            rows.append(not_run(path, "failed", last))
            log(f"run {path}: FAILED\n{proc.stderr[-2000:]}")
            continue
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        results[path] = (wall, info)
        log(f"run {path}: {wall:.2f} s {info}")
    base = results.get("qhnet_cold", results.get("qhnet_warm"))
    for path, (wall, info) in results.items():
        parts = [f"import {info['t_import']:.2f} s", f"after import {info['t_after_import']:.2f} s"]
        if info.get("t_first_step") is not None:
            parts.insert(1, f"first step {info['t_first_step']:.2f} s")
        parts.append(f"final J {info['objective']:.10g}")
        dev = abs(info["objective"] - base[1]["objective"]) if base else None
        rows.append(
            row(
                section="run",
                path=path,
                objective="elbo",
                n=n,
                layers=layers,
                steps=info["steps"],
                status="ok",
                median_s=wall,
                samples=1,
                calls=1,
                max_dev=dev,
                ratio_to_qhnet=(wall / results["qhnet_warm"][0])
                if "qhnet_warm" in results
                else None,
                note="; ".join(parts),
            )
        )
    return rows
