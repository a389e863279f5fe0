"""The README's numbers, rendered from committed tables (never typed by hand).

    python scripts/tools/findings.py snapshot RESULTS [--config FILE] [--wall-seconds S]
                                             [--tables NAME ...] [--run-info JSON]
    python scripts/tools/findings.py render     # rewrite the generated blocks of the docs
    python scripts/tools/findings.py check      # exit 1 if a doc differs from a render

``snapshot`` copies the tables the README quotes from a finished run's results
directory into ``docs/findings/`` together with their provenance (commit, config
checksum, date, machine, wall time) in ``docs/findings/provenance.json``. With
``--tables`` only the named tables are replaced, and their own provenance is
recorded beside the snapshot's (``updates``): a study rerun alone (for example the
trainability study after a new ansatz) refreshes its table without pretending
the rest was recomputed. ``--run-info`` takes ``bench_pipeline.py``'s
``pipeline.json`` of the run and records its commit, tree state, machine, date and
wall time (a run timed in a clean checkout of an earlier commit).
``render`` replaces every block of README.md and docs/verdicts.md between
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` with what the
renderer NAME makes of the committed tables (``make findings``); ``check`` does
the same in memory and fails, with a diff, when the README differs
(``make findings-check``, run in CI). Edit the prose around the blocks freely;
the blocks themselves are overwritten.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_config import resolve  # noqa: E402
from engine_bench.timing import cpu_model  # noqa: E402

from qhnet.io import atomic_path  # noqa: E402

FINDINGS = REPO / "docs" / "findings"
BENCHMARKS = REPO / "docs" / "benchmarks"
README = REPO / "README.md"
#: The documents whose generated blocks are rendered and checked.
DOCS = (README, REPO / "docs" / "verdicts.md", REPO / "docs" / "training.md")

#: Tables a snapshot copies from RESULTS/tables into docs/findings (when present).
SNAPSHOT_TABLES = (
    "claims.csv",
    "variance.csv",
    "landscape.csv",
    "roughness.csv",
    "noise.csv",
    "hit_rates.csv",
    "baselines.csv",
    "claims_by_optimizer.csv",
    "verdict_map.csv",
    "schedules.csv",
    "selbo_ablation.csv",
    "scale.csv",
)

BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.S,
)


# --------------------------------------------------------------------------- renderers


def _provenance() -> dict:
    path = FINDINGS / "provenance.json"
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing: run `findings.py snapshot RESULTS` first")
    return json.loads(path.read_text())


def _origin(p: dict) -> str:
    wall = p.get("wall_seconds")
    wall_text = f", {wall / 60:.1f} min wall" if wall else ""
    return (
        f"`{p['config']}` (sha256 `{p['config_sha256'][:12]}`) at commit `{p['commit'][:10]}` "
        f"on {p['date'][:10]}, {p['machine']}{wall_text}"
    )


def render_provenance() -> str:
    p = _provenance()
    text = f"From `make reproduce` with {_origin(p)}. The tables are in `docs/findings/`."
    for u in p.get("updates", []):
        text += f" {', '.join(f'`{t}`' for t in u['tables'])}: rerun alone with {_origin(u)}."
    return text + "\n"


def render_hit_rates() -> str:
    """The trainability study: hit rate (mode hit rate) per dataset × optimiser × ansatz × depth."""
    t = pd.read_csv(FINDINGS / "hit_rates.csv")
    layers = sorted(t["layers"].unique())
    head = "| dataset | optimum BCE | optimiser | ansatz | " + " | ".join(
        f"L = {L}" for L in layers
    )
    lines = [head + " |", "|---|---:|---|---|" + "---:|" * len(layers)]
    for (d, o, a), g in t.groupby(["dataset", "optimizer", "ansatz"], sort=False):
        by = g.set_index("layers")
        cells = [
            f"{by.at[L, 'hit_rate']:.2f} ({by.at[L, 'mode_hit_rate']:.2f})"
            if L in by.index
            else "–"
            for L in layers
        ]
        lines.append(
            f"| {d} | {g['optimum_bce'].iloc[0]:.4f} | {o} | {a} | " + " | ".join(cells) + " |"
        )
    n, tol = int(t["n_seeds"].max()), float(t["hit_tol"].iloc[0])
    return (
        f"Fraction of {n} random starts of MLE whose E_q mean BCE is within {tol:g} of the "
        "exhaustive optimum (in brackets: whose mode network is in the optimum set), "
        "from `docs/findings/hit_rates.csv`:\n\n" + "\n".join(lines) + "\n"
    )


def render_baselines() -> str:
    """The classical baselines beside the circuit (tables/baselines.csv of a run)."""
    t = pd.read_csv(FINDINGS / "baselines.csv")
    lines = [
        "| dataset | method | seeds | optimum hit | test acc. (mode) | test acc. (expected) "
        "| test acc. (BMA) | likelihood evaluations |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def pm(mean, std):
        return f"{mean:.3f}" if pd.isna(std) else f"{mean:.3f} ± {std:.3f}"

    for r in t.itertuples():
        lines.append(
            f"| {r.dataset} | {r.method} | {r.n_seeds} | {r.hit_rate:.2f} | "
            f"{pm(r.mean_acc_test_mode, r.std_acc_test_mode)} | "
            f"{pm(r.mean_acc_test_expected, r.std_acc_test_expected)} | "
            f"{r.mean_acc_test_bma:.3f} | {r.median_likelihood_evaluations:.0f} |"
        )
    return (
        "Mean ± standard deviation across seeds, from `docs/findings/baselines.csv`:\n\n"
        + "\n".join(lines)
        + "\n"
    )


def _training(section: str) -> pd.DataFrame:
    path = BENCHMARKS / f"training_{section}.csv"
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing: run scripts/tools/bench_training.py")
    return pd.read_csv(path)


def _seconds(x) -> str:
    return "–" if pd.isna(x) else f"{x:.2g}"


def render_training_optimisers() -> str:
    """Hit rates on digits01 per ansatz × depth × optimiser (bench_training.py optimisers)."""
    t = _training("optimisers")
    variants = list(dict.fromkeys(t["variant"]))
    head = "| ansatz | layers | " + " | ".join(f"{v}: hit (mode) · s/run" for v in variants)
    lines = [head + " |", "|---|---:|" + "---:|" * len(variants)]
    for (a, L), g in t.groupby(["ansatz", "layers"], sort=False):
        by = g.set_index("variant")
        cells = [
            f"{by.at[v, 'hit_rate']:.2f} ({by.at[v, 'mode_hit_rate']:.2f}) · "
            f"{_seconds(by.at[v, 'median_seconds'])}"
            for v in variants
        ]
        lines.append(f"| {a} | {L} | " + " | ".join(cells) + " |")
    return (
        f"digits01 (17 qubits, optimum mean BCE {t['optimum_bce'].iloc[0]:.4f}), "
        f"{int(t['starts'].max())} starts per cell; hit: E_q mean BCE within 1e-4 of the "
        "optimum, mode: argmax q in the optimum set, s/run: median seconds per run on one "
        "core (compilation excluded):\n\n" + "\n".join(lines) + "\n"
    )


def render_training_defaults() -> str:
    """train()'s defaults against Adam at lr 0.05 on every dataset (bench_training.py defaults)."""
    t = _training("defaults")
    lines = [
        "| dataset | variant | optimiser | ansatz | layers | hit | mode hit | s/run |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in t.itertuples():
        lines.append(
            f"| {r.dataset} | {r.variant} | {r.optimizer} | {r.ansatz} | {r.layers} | "
            f"{r.hit_rate:.2f} | {r.mode_hit_rate:.2f} | {_seconds(r.median_seconds)} |"
        )
    return "\n".join(lines) + "\n"


#: The optimiser issue's targets for ``train``'s defaults (checked, not asserted).
#: ``restarts``: the number of starts behind the best-of-k row (a user's seeds=range(k)).
TRAINING_TARGETS = {"hit_rate": 0.95, "median_seconds": 2.0, "dataset": "digits01", "restarts": 10}


def render_training_targets() -> str:
    """The defaults' targets, each with its measurement (bench_training.py defaults)."""
    t = _training("defaults")
    tt = TRAINING_TARGETS
    d = t[(t["dataset"] == tt["dataset"]) & (t["variant"] == "default")].iloc[0]
    lines = ["| target | measured | met |", "|---|---|---|"]
    met = d["hit_rate"] >= tt["hit_rate"] and d["median_seconds"] <= tt["median_seconds"]
    lines.append(
        f"| {tt['dataset']}: ≥ {tt['hit_rate']:.0%} of {int(d['starts'])} starts within 1e-4 "
        f"with the defaults, ≤ {tt['median_seconds']:g} s per run | hit {d['hit_rate']:.2f}, "
        f"{_seconds(d['median_seconds'])} s per run | {'yes' if met else 'no'} |"
    )
    k = TRAINING_TARGETS["restarts"]
    lines.append(
        f"| {tt['dataset']}: the best of {k} independent starts with the defaults "
        f"(1 − (1 − hit)^{k}) | {1 - (1 - d['hit_rate']) ** k:.3f} | – |"
    )
    for name, g in t.groupby("dataset", sort=False):
        by = g.set_index("variant")
        ours, adam = by.at["default", "hit_rate"], by.at["adam_lr0.05", "hit_rate"]
        lines.append(
            f"| {name}: the defaults' hit rate ≥ Adam's at lr 0.05 | {ours:.2f} vs {adam:.2f} "
            f"| {'yes' if ours >= adam else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def render_training_stopping() -> str:
    """The stopping rule's settings on digits01 (bench_training.py stopping)."""
    t = _training("stopping")
    lines = [
        "| optimiser | rule | hit | mode hit | median steps | s/run |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in t.itertuples():
        lines.append(
            f"| {r.optimizer} | {r.rule.replace('|', chr(92) + '|')} | {r.hit_rate:.2f} | "
            f"{r.mode_hit_rate:.2f} | "
            f"{r.median_steps:.0f} | {_seconds(r.median_seconds)} |"
        )
    return "\n".join(lines) + "\n"


def render_calibration() -> str:
    """The verdict rules' error rates on simulated worlds (scripts/tools/calibrate.py)."""
    t = pd.read_csv(BENCHMARKS / "calibration.csv", keep_default_na=False, na_values=[""])
    head = "| test | world | truth | true effect | supported | refuted | cannot tell |"
    lines = [head, "|---|---|---|---:|---:|---:|---:|"]
    for r in t.itertuples():
        cells = [
            f"{getattr(r, k):.3f} ± {t.at[r.Index, f'{k} mc_se']:.3f}"
            for k in ("supported", "refuted")
        ]
        cells.append(f"{t.at[r.Index, 'cannot tell']:.3f}")
        lines.append(
            f"| {r.test} | {r.kind} | {r.truth} | {r.effect:g} | " + " | ".join(cells) + " |"
        )
    w, n = int(t["worlds"].iloc[0]), int(t["n"].iloc[0])
    return (
        f"{w} simulated worlds per row, {n} seed pairs each, α = 0.05 (rate ± its Monte Carlo "
        "standard error):\n\n" + "\n".join(lines) + "\n"
    )


def render_claims() -> str:
    from qhnet.analysis.claims import claims_markdown

    claims = pd.read_csv(FINDINGS / "claims.csv")
    return claims_markdown(claims)


def render_claims_by_optimizer() -> str:
    """Claims 1, 3–6 overall under each optimiser of the sweep (claims_by_optimizer.csv)."""
    t = pd.read_csv(FINDINGS / "claims_by_optimizer.csv", dtype={"claim": str})
    top = t[t["level"] == "claim"]
    optimizers = list(pd.unique(top["optimizer"]))
    lines = [
        "| claim | " + " | ".join(optimizers) + " |",
        "|---|" + "---|" * len(optimizers),
    ]
    by = top.set_index(["claim", "optimizer"])["verdict"]
    for claim in pd.unique(top["claim"]):
        cells = [by.get((claim, o), "–") for o in optimizers]
        lines.append(f"| {claim} | " + " | ".join(cells) + " |")
    return (
        "Overall verdicts of claims 1 and 3–6 decided separately from each optimiser's "
        "runs (same arms and seeds), from `docs/findings/claims_by_optimizer.csv`:\n\n"
        + "\n".join(lines)
        + "\n"
    )


def render_hardware() -> str:
    """Per-step cost on the IBM path and the cost of a default run, from the
    hardware benchmark's committed tables (scripts/tools/bench_hardware.py)."""
    steps = pd.read_csv(BENCHMARKS / "hardware.csv")

    def one(device, backend, path):
        row = steps[
            (steps["device"] == device)
            & (steps["noise_or_backend"] == backend)
            & (steps["path"] == path)
        ]
        if len(row) != 1:
            raise SystemExit(f"error: hardware.csv has no single row {device}/{backend}/{path}")
        return row.iloc[0]

    aer_old, aer_new = one("qiskit.aer", "ideal", "plugin"), one("qiskit.aer", "ideal", "primitive")
    rem_old = one("qiskit.remote", "fake_lagos", "plugin")
    rem_new = one("qiskit.remote", "fake_lagos", "primitive")
    cost = (BENCHMARKS / "hardware_cost.md").read_text().splitlines()
    table = [line for line in cost if line.startswith("|")]
    return (
        f"Measured per training step (`docs/benchmarks/hardware.md`): on ideal `qiskit.aer` "
        f"at n = {aer_new['n']} ({aer_new['circuits_per_step']} circuits, "
        f"{aer_new['shots']} shots each) {aer_new['seconds_per_step']:.2f} s, against "
        f"{aer_old['seconds_per_step']:.1f} s through pennylane-qiskit's per-circuit path; "
        f"on `qiskit.remote` (fake_lagos, local mode) {rem_new['runtime_jobs_per_step']:d} "
        f"Runtime job per step instead of {rem_old['runtime_jobs_per_step']:d}. "
        "A default run of the sampled arm on an IBM device "
        "(`docs/benchmarks/hardware_cost.md`):\n\n" + "\n".join(table) + "\n"
    )


def _cell_labels(vmap: pd.DataFrame) -> dict[str, str]:
    """Each cell by what differs from the base (the first): ``base``, ``layers 2``, …

    Read off the map's factor columns (``CELL_KEYS``), not parsed from the path.
    """
    from qhnet.experiments.config import CELL_KEYS

    factors = vmap.drop_duplicates("cell").set_index("cell")[list(CELL_KEYS)]
    base = factors.iloc[0]
    return {
        cell: ", ".join(f"{k} {v}" for k, v in row.items() if v != base[k]) or "base"
        for cell, row in factors.iterrows()
    }


def render_verdict_map() -> str:
    """The robustness study: each claim's overall verdict per cell, and in words."""
    from qhnet.analysis.claims import where_claims_hold_text

    vmap = pd.read_csv(FINDINGS / "verdict_map.csv", dtype={"claim": str})
    cells = list(pd.unique(vmap["cell"]))
    base, labels = cells[0], _cell_labels(vmap)
    top = vmap[vmap["level"] == "claim"].set_index(["claim", "cell"])["verdict"]
    lines = [
        "| claim | " + " | ".join(labels[c] for c in cells) + " |",
        "|---|" + "---|" * len(cells),
    ]
    for claim in pd.unique(vmap["claim"]):
        lines.append(f"| {claim} | " + " | ".join(top.get((claim, c), "–") for c in cells) + " |")
    n_runs = int(vmap.loc[vmap["level"] == "comparison", "n_pairs"].max())
    return (
        f"Overall verdicts of claims 1 and 3–6 in the {len(cells)} cells of "
        f"`config/robustness.yaml` (base `{base}`: ansatz/L<depth>/n<training points>/"
        f"<likelihood>/<optimiser>; each other cell changes what its column names; up to "
        f"{n_runs} seed pairs per comparison), from `docs/findings/verdict_map.csv`:\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "\n".join(f"- {t}" for t in where_claims_hold_text(vmap, label=labels.__getitem__))
        + "\n"
    )


def render_schedules() -> str:
    """The robustness study's λ schedules and validation-chosen λ, counted and in words."""
    from qhnet.analysis.schedules import schedule_summary, schedule_text

    sched = pd.read_csv(FINDINGS / "schedules.csv", keep_default_na=False, na_values=[""])
    summary = schedule_summary(sched)
    lines = [
        "| strategy | comparisons | better than MLE: supported / refuted / cannot tell "
        "| non-inferior to the best fixed λ: supported / refuted / cannot tell "
        "| mean difference from the best fixed λ |",
        "|---|---:|---|---|---:|",
    ]
    for r in summary.itertuples():
        lines.append(
            f"| {r.strategy} | {r.comparisons} | {r.vs_mle_supported} / {r.vs_mle_refuted} / "
            f"{r.vs_mle_cannot_tell} | {r.vs_best_fixed_supported} / {r.vs_best_fixed_refuted} "
            f"/ {r.vs_best_fixed_cannot_tell} | {r.mean_vs_best_fixed:+.3f} |"
        )
    cells, datasets = sched["cell"].nunique(), sched["dataset"].nunique()
    return (
        f"Each comparison is one cell × dataset × family (ELBO; SELBO at each bandwidth): "
        f"{cells} cells × {datasets} datasets, from `docs/findings/schedules.csv`:\n\n"
        + "\n".join(lines)
        + "\n\n"
        + schedule_text(sched)
        + "\n"
    )


def render_selbo_ablation() -> str:
    """The SELBO ablation: each (m, N_qc) against exact SELBO, per dataset, and in words."""
    from qhnet.analysis.ablation import sampled_ablation_text

    t = pd.read_csv(FINDINGS / "selbo_ablation.csv", dtype={"prior_samples": str})
    lines = [
        "| dataset | m | N_qc | runs | test accuracy (mean ± std) | exact SELBO "
        "| difference [interval] | non-inferior? | objective gap |",
        "|---|---|---:|---:|---|---:|---|---|---:|",
    ]
    for r in t.itertuples():
        lines.append(
            f"| {r.dataset} | {r.prior_samples} | {r.shots} | {r.n_runs} | {r.mean_acc:.3f} ± "
            f"{r.std_acc:.3f} | {r.twin_acc:.3f} | {r.vs_twin:+.3f} [{r.vs_twin_low:+.3f}, "
            f"{r.vs_twin_high:+.3f}] | {r.vs_twin_verdict} | {r.objective_gap:+.2f} |"
        )
    return (
        "From `docs/findings/selbo_ablation.csv` (the objective gap is the paired mean of J "
        "at the final angles, sampled minus exact):\n\n"
        + "\n".join(lines)
        + "\n\n"
        + sampled_ablation_text(t)
        + "\n"
    )


def render_scale() -> str:
    """The scale study: accuracy, spread and cost per problem and arm, and in words."""
    from qhnet.analysis.scale import scale_text

    t = pd.read_csv(FINDINGS / "scale.csv")
    lines = [
        "| problem | arm | method | runs | test accuracy, expected | test accuracy, mode "
        "| ms per step |",
        "|---|---|---|---:|---|---|---:|",
    ]
    for r in t.itertuples():
        lines.append(
            f"| {r.dataset}, {r.n_bits} bits | {r.arm} | {r.method} | {r.runs} | "
            f"{r.acc_test_expected_mean:.3f} ± {r.acc_test_expected_std:.3f} | "
            f"{r.acc_test_mode_mean:.3f} ± {r.acc_test_mode_std:.3f} | "
            f"{r.seconds_per_step * 1e3:.3g} |"
        )
    steps = ", ".join(f"{int(s)}" for s in sorted(set(t.loc[t["method"] != "straight_through",
                                                             "steps"])))  # fmt: skip
    return (
        f"From `docs/findings/scale.csv` (mean ± std across seeds; {steps} Adam steps per "
        "circuit run; expected: the mean over the final distribution's shots, mode: its "
        "marginal mode):\n\n" + "\n".join(lines) + "\n\n" + scale_text(t) + "\n"
    )


def render_scale_bench() -> str:
    """The scale targets against their measurements (scripts/tools/bench_scale.py)."""
    path = BENCHMARKS / "scale.csv"
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing: run scripts/tools/bench_scale.py")
    t = pd.read_csv(path, keep_default_na=False)
    info = json.loads((BENCHMARKS / "scale.json").read_text())
    lines = ["| case | variant | seconds | note |", "|---|---|---:|---|"]
    for r in t.itertuples():
        lines.append(f"| {r.case} | {r.variant.strip()} | {r.seconds:.3g} | {r.note} |")
    step = t[t["variant"].str.startswith("shift estimator, all")].iloc[0]
    runs = t[t["case"].str.startswith("gaussian run")].set_index("variant")["seconds"]
    targets = info["targets"]

    def verdict(seconds: float, target: float) -> str:
        if seconds <= target:
            return f"met ({seconds:.3g} s)"
        return f"**not met** ({seconds:.3g} s, {seconds / target:.0f}× the target)"

    return (
        f"`scripts/tools/bench_scale.py` on {info['cpus']} core ({info['machine']}; commit "
        f"`{info['commit'][:7]}`, {info['date'][:10]}), compilation excluded "
        "(`docs/benchmarks/scale.csv`):\n\n" + "\n".join(lines) + "\n\n"
        f"Against the targets: one parameter-shift SELBO step at 266 qubits in ≤ "
        f"{targets['step_266_seconds']:g} s: {verdict(step.seconds, targets['step_266_seconds'])}; "
        f"the 42-bit run in ≤ {targets['run_42_seconds']:g} s: "
        f"{verdict(runs['score estimator'], targets['run_42_seconds'])} with the score "
        f"estimator, {verdict(runs['shift estimator'], targets['run_42_seconds'])} with the "
        "shift estimator.\n"
    )


def _minutes(s: float) -> str:
    s = round(float(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def render_pipeline(
    name: str = "pipeline", target_min: float = 5, what: str = "the whole reproduction"
) -> str:
    """The pipeline benchmark (scripts/tools/bench_pipeline.py): wall, CPU per rule, floor."""
    meta = json.loads((BENCHMARKS / f"{name}.json").read_text())
    rules = pd.read_csv(BENCHMARKS / f"{name}.csv")
    cpu, job_s = rules["cpu_s"].sum(), rules["wall_s"].sum()

    def pct(x):
        return "–" if pd.isna(x) else f"{x:.0%}"

    lines = [
        "| rule | jobs | job time (s) | share | CPU (s) | peak memory (MB) "
        "| outside the training loops | compilation |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rules.sort_values("wall_s", ascending=False).itertuples():
        lines.append(
            f"| {r.rule} | {r.jobs} | {r.wall_s:.0f} | {r.wall_s / job_s:.0%} | {r.cpu_s:.0f} "
            f"| {r.max_rss_mb:.0f} | {pct(r.outside_loop_frac)} | {pct(r.compile_frac)} |"
        )
    wall, peak = meta["wall_seconds"], meta["peak_job_mb"]
    training = rules[rules["compile_frac"].notna()]
    worst = training.loc[training["compile_frac"].idxmax()]
    dirty = ", uncommitted changes" if meta["dirty"] else ""

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return (
        f"`scripts/tools/bench_pipeline.py` ran the two commands of `make reproduce` "
        f"(`{meta['config']}`) on a clean results directory with `--cores {meta['cores']}` "
        f"({meta['machine']}; commit "
        f"`{meta['commit'][:7]}`{dirty}, {meta['date'][:10]}): **{_minutes(wall)} wall** "
        f"for every table, figure and the report, and {_minutes(meta['report_seconds'])} "
        f"more for Snakemake's report; {meta['jobs']} jobs took {job_s:.0f} s in all ({cpu:.0f} "
        f"CPU-seconds as sampled), the "
        f"largest job peaking at {peak:.0f} MB. The arithmetic floor of its "
        f"{meta['exact_runs']} exact-mode training runs (their steps × one objective "
        f"value and gradient, timed in the same run; `docs/benchmarks/{name}_floor.csv`) "
        f"is {_minutes(meta['floor_seconds'])} of CPU. Per rule "
        f"(`docs/benchmarks/{name}.csv`; job time is the jobs' wall time summed, "
        "share its fraction of the run's; the last two columns are shares of the "
        "training jobs' wall time):\n\n"
        + "\n".join(lines)
        + f"\n\nAgainst the targets: {what} in ≤ {target_min:g} min wall on 2 cores: "
        f"{verdict(wall <= 60 * target_min and meta['cores'] <= 2)} ({_minutes(wall)}, "
        f"{wall / (60 * target_min):.1f}× the target); peak memory ≤ 1 GB per job: "
        f"{verdict(peak <= 1024)} ({peak:.0f} MB); compilation ≤ 25 % of a training "
        "rule's wall time: "
        f"{verdict(worst['compile_frac'] <= 0.25)} (at most {worst['compile_frac']:.0%}, "
        f"`{worst['rule']}`; imports are inside the 'outside the training loops' share, "
        "which also counts evaluation and writing).\n"
    )


RENDERERS: dict[str, Callable[[], str]] = {
    "provenance": render_provenance,
    "claims": render_claims,
    "claims_by_optimizer": render_claims_by_optimizer,
    "hardware": render_hardware,
    "calibration": render_calibration,
    "hit_rates": render_hit_rates,
    "baselines": render_baselines,
    "pipeline": render_pipeline,
    "pipeline_robustness": functools.partial(
        render_pipeline, "pipeline_robustness", 30, "the robustness study"
    ),
    "verdict_map": render_verdict_map,
    "schedules": render_schedules,
    "selbo_ablation": render_selbo_ablation,
    "scale": render_scale,
    "scale_bench": render_scale_bench,
    "training_optimisers": render_training_optimisers,
    "training_defaults": render_training_defaults,
    "training_stopping": render_training_stopping,
    "training_targets": render_training_targets,
}


# --------------------------------------------------------------------------- commands


def rendered(text: str) -> str:
    """``text`` with every generated block replaced by its renderer's output."""

    def replace(m: re.Match) -> str:
        name = m["name"]
        if name not in RENDERERS:
            raise SystemExit(
                f"error: README block {name!r} has no renderer; known: {', '.join(RENDERERS)}"
            )
        body = RENDERERS[name]().rstrip("\n") + "\n"
        return f"{m.group(1)}{body}{m.group(4)}"

    return BLOCK.sub(replace, text)


def cmd_render(_) -> int:
    for doc in DOCS:
        text = doc.read_text()
        new = rendered(text)
        if new != text:
            with atomic_path(doc) as tmp:
                tmp.write_text(new)
            print(f"rewrote the generated blocks of {doc.relative_to(REPO)}")
        else:
            print(f"{doc.relative_to(REPO)} is up to date")
    return 0


def cmd_check(_) -> int:
    bad = 0
    for doc in DOCS:
        name = str(doc.relative_to(REPO))
        text = doc.read_text()
        new = rendered(text)
        if new == text:
            print(f"{name}: every generated block matches the committed tables")
            continue
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(True), new.splitlines(True), name, f"{name} (rendered)"
            )
        )
        print(f"\n{name} differs from the committed tables: run `make findings`", file=sys.stderr)
        bad = 1
    return bad


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip()


def _machine() -> str:
    cpu = cpu_model(platform.processor() or platform.machine())
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def cmd_snapshot(a) -> int:
    results = Path(a.results)
    tables = results / "tables"
    wanted = a.tables or ["claims.csv"]
    unknown = sorted(set(wanted) - set(SNAPSHOT_TABLES))
    if unknown:
        raise SystemExit(
            f"error: --tables: unknown {', '.join(unknown)}; allowed: {', '.join(SNAPSHOT_TABLES)}"
        )
    for name in wanted:
        if not (tables / name).is_file():
            raise SystemExit(f"error: {tables / name} not found: run the pipeline first")
    config = resolve(Path(a.config))
    run = None
    if a.run_info:  # the run was timed by bench_pipeline.py, maybe in another checkout
        run = json.loads(Path(a.run_info).read_text())
        if run["config"] != str(a.config):
            raise SystemExit(f"error: --run-info: that run used {run['config']}, not {a.config}")
    elif Path(config["results"]).resolve() != results.resolve():
        raise SystemExit(f"error: {a.config} writes to {config['results']!r}, not {str(results)!r}")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))  # before copying
    FINDINGS.mkdir(parents=True, exist_ok=True)
    names = a.tables or [n for n in SNAPSHOT_TABLES if (tables / n).is_file()]
    if a.tables:
        provenance = _provenance()  # before copying: a missing snapshot stops here
    for name in names:
        with atomic_path(FINDINGS / name) as tmp:
            shutil.copyfile(tables / name, tmp)
    origin = {
        "config": str(a.config),
        "config_sha256": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
        "commit": _git("rev-parse", "HEAD"),
        "dirty": dirty,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "wall_seconds": a.wall_seconds,
        "tables": names,
    }
    if run is not None:
        origin |= {k: run[k] for k in ("commit", "dirty", "machine", "wall_seconds")}
        origin["date"] = run["date"]
    if a.tables:
        updates = [u for u in provenance.get("updates", []) if not set(u["tables"]) <= set(names)]
        provenance["updates"] = [*updates, origin]
    else:
        provenance = origin
    with atomic_path(FINDINGS / "provenance.json") as tmp:
        tmp.write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"copied {', '.join(names)} and provenance.json into {FINDINGS}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("render", help="rewrite README.md's generated blocks").set_defaults(
        fn=cmd_render
    )
    sub.add_parser("check", help="exit 1 if README.md differs from a render").set_defaults(
        fn=cmd_check
    )
    snap = sub.add_parser("snapshot", help="copy a run's tables into docs/findings")
    snap.add_argument("results", help="the results directory of a finished run")
    snap.add_argument(
        "--config", default="config/config.yaml", help="the configuration of that run"
    )
    snap.add_argument("--wall-seconds", type=float, help="the run's measured wall time")
    snap.add_argument(
        "--run-info",
        help="bench_pipeline.py's pipeline.json of the run: its commit, tree state, machine "
        "and wall time are recorded (the run may have been made in another checkout)",
    )
    snap.add_argument(
        "--tables",
        nargs="+",
        metavar="NAME",
        help=f"replace only these tables (of {', '.join(SNAPSHOT_TABLES)}); "
        "their provenance is recorded beside the snapshot's",
    )
    snap.set_defaults(fn=cmd_snapshot)
    a = ap.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
