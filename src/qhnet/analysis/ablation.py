"""SELBO in sampled mode: how the shot counts change what training reaches (docs/method.md §7).

Sampled SELBO estimates its MMD from N_qc circuit shots per (shifted) circuit and
m uniform prior samples per step. The ablation trains the sampled arm again with
one of the two changed at a time (m ∈ ``sampled.ablation.prior_samples``, N_qc
∈ ``sampled.ablation.shots``; m = "exact" is the closed form of the prior's
terms, the limit m → ∞) from the same seeds, and compares each setting on seed
pairs with the arm's *exact twin*: exact-mode SELBO at the same λ and h, trained
with the same optimiser from the same initial angles. The comparison is the
sampled claim's: non-inferiority of the expected test accuracy at the claims'
level and accuracy margin; the objective each run reaches (J of the exact
engine at its final angles) is reported beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qhnet.analysis import stats
from qhnet.analysis.claims import Settings, paired
from qhnet.analysis.verdicts import decide, mean_difference

METRIC = stats.PRIMARY_METRIC

ABLATION_COLUMNS = (
    "dataset",
    "arm",
    "prior_samples",
    "shots",
    "n_runs",
    "mean_acc",
    "std_acc",
    "mean_objective",
    "twin_acc",
    "twin_objective",
    "vs_twin",
    "vs_twin_low",
    "vs_twin_high",
    "vs_twin_verdict",
    "objective_gap",
    "objective_gap_low",
    "objective_gap_high",
)


def _order(value: str) -> float:
    """m as a sort key: numbers by size, "exact" (m → ∞) last."""
    return math.inf if str(value) == "exact" else float(value)


def sampled_ablation_table(runs: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Each (m, N_qc) setting of the sampled SELBO arm against its exact twin.

    Parameters
    ----------
    runs : DataFrame
        Sampled-mode runs with ``shots`` and ``prior_samples`` columns, and the
        exact-mode runs of the same objective, λ and h (the twins).
    settings : Settings
        α, accuracy margin and minimum pairs (the claims').

    Returns
    -------
    DataFrame
        ``ABLATION_COLUMNS``, a row per dataset × arm × setting, m then N_qc in
        increasing order: the mean and std of the expected test accuracy, the
        mean final objective, the twin's means, the paired difference in accuracy
        (with its interval and the non-inferiority verdict) and in objective.

    Raises
    ------
    ValueError
        If a needed column is missing or a sampled arm has no exact twin.
    """
    s = Settings() if settings is None else settings
    need = ["dataset", "arm", "mode", "objective", "lam", "h", "seed", "optimizer", METRIC,
            "objective_value", "shots", "prior_samples"]  # fmt: skip
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise ValueError(f"runs have no column {missing[0]!r} (needed for the ablation table)")
    runs = stats.normalise(runs)
    sampled = runs[runs["mode"] == "sampled"].copy()
    exact = stats.exact_runs(runs)
    sampled["prior_samples"] = sampled["prior_samples"].astype(str)
    sampled["shots"] = sampled["shots"].astype(int)
    rows = []
    for (d, arm), g in sampled.groupby(["dataset", "arm"], sort=True):
        r = g.iloc[0]
        twin = exact[
            (exact["dataset"] == d)
            & (exact["objective"] == r["objective"])
            & (exact["optimizer"] == r["optimizer"])
            & exact["lam"].map(lambda v, lam=r["lam"]: stats.same_value(v, lam))
            & exact["h"].map(lambda v, h=r["h"]: stats.same_value(v, h))
        ]
        if twin.empty:
            raise ValueError(
                f"{d} {arm}: no exact-mode twin (same objective, λ, h and optimiser) to "
                "compare with; train it in the exact sweep"
            )
        keys = sorted(
            {(m, n) for m, n in zip(g["prior_samples"], g["shots"], strict=True)},
            key=lambda k: (_order(k[0]), k[1]),
        )
        for m, n in keys:
            st = g[(g["prior_samples"] == m) & (g["shots"] == n)]
            x, y = paired(st, twin, METRIC)
            ev = mean_difference(
                x - y,
                support_above=-s.accuracy_margin,
                refute_below=-s.accuracy_margin,
                alpha=s.alpha,
                min_pairs=s.min_pairs,
            )
            jx, jy = paired(st, twin, "objective_value")
            gap = mean_difference(
                jx - jy, support_above=0.0, refute_below=0.0, alpha=s.alpha, min_pairs=s.min_pairs
            )
            rows.append(
                {
                    "dataset": d,
                    "arm": arm,
                    "prior_samples": m,
                    "shots": int(n),
                    "n_runs": len(st),
                    "mean_acc": float(st[METRIC].mean()),
                    "std_acc": float(np.std(st[METRIC], ddof=1)) if len(st) > 1 else math.nan,
                    "mean_objective": float(st["objective_value"].mean()),
                    "twin_acc": float(twin[METRIC].mean()),
                    "twin_objective": float(twin["objective_value"].mean()),
                    "vs_twin": ev.estimate,
                    "vs_twin_low": ev.ci_low,
                    "vs_twin_high": ev.ci_high,
                    "vs_twin_verdict": decide(ev, s.alpha),
                    "objective_gap": gap.estimate,
                    "objective_gap_low": gap.ci_low,
                    "objective_gap_high": gap.ci_high,
                }
            )
    return pd.DataFrame(rows, columns=list(ABLATION_COLUMNS))


def sampled_ablation_text(table: pd.DataFrame) -> str:
    """Per setting, over datasets: how often it is non-inferior to the exact twin."""
    if table.empty:
        return "No sampled ablation was run."
    parts = []
    for (m, n), g in table.groupby(["prior_samples", "shots"], sort=False):
        counts = g["vs_twin_verdict"].value_counts()
        parts.append(
            f"m = {m}, N_qc = {n}: non-inferior to exact SELBO on {counts.get('supported', 0)} "
            f"of {len(g)} datasets, shown worse on {counts.get('refuted', 0)}; mean accuracy "
            f"difference {g['vs_twin'].mean():+.3f}, objective gap {g['objective_gap'].mean():+.2f}"
        )
    return "\n".join(f"- {p}" for p in parts)
