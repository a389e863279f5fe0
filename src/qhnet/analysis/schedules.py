"""Choosing λ: annealed schedules and a validation-chosen λ against fixed λ (docs/method.md §8).

The paper leaves open how λ is chosen. Three strategies a user could follow
without looking at test data are compared with the fixed-λ grid, per cell,
dataset and family (ELBO; SELBO at one bandwidth):

- each **schedule** arm: λ annealed from a large to a small value while training
  (``training.train``'s ``schedule``);
- **validation-chosen λ**: per seed, the fixed-λ run with the best expected
  accuracy on the validation split (``acc_val_expected``; ties go to the
  smaller λ), reported by its test accuracy.

Each is compared on seed pairs (runs with one seed share their initial angles)
with two references: MLE (is the strategy *better*?) and the *best fixed λ*,
the λ of the grid with the best mean test accuracy in that cell, chosen on the
test runs themselves (an oracle no user has: is the strategy *non-inferior* to
it?). Both are paired score t-tests (``verdicts.mean_difference``) at the
claims' level α and accuracy margin δ: "better" is supported when the mean gain
is shown above 0 and refuted when shown below δ; "non-inferior" is supported
when the mean difference is shown above −δ and refuted when shown below −δ.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qhnet.analysis import stats
from qhnet.analysis.claims import Settings, paired
from qhnet.analysis.verdicts import decide, mean_difference

METRIC = stats.PRIMARY_METRIC
VALIDATION_METRIC = "acc_val_expected"
VALIDATION_STRATEGY = "validation-chosen λ"

SCHEDULE_COLUMNS = (
    "dataset",
    "objective",
    "h_label",
    "strategy",
    "n_runs",
    "mean_acc",
    "best_fixed_lam",
    "vs_mle",
    "vs_mle_low",
    "vs_mle_high",
    "vs_mle_verdict",
    "vs_best_fixed",
    "vs_best_fixed_low",
    "vs_best_fixed_high",
    "vs_best_fixed_verdict",
)


def _strategy_name(arm: pd.Series) -> str:
    return f"{arm['schedule']} λ {arm['lam']:g} → {arm['lam_end']:g}"


def validation_choice(fixed: pd.DataFrame) -> pd.DataFrame:
    """Per seed, the fixed-λ run with the best validation accuracy (the smaller λ on ties).

    Raises
    ------
    ValueError
        If the runs have no validation accuracy (a dataset drawn without ``data.n_val``).
    """
    if VALIDATION_METRIC not in fixed.columns or not np.isfinite(fixed[VALIDATION_METRIC]).any():
        raise ValueError(
            f"the runs have no {VALIDATION_METRIC!r}: draw the datasets with a validation "
            "split (config data.n_val > 0) to choose λ on it"
        )
    ordered = fixed.sort_values(["seed", VALIDATION_METRIC, "lam"], ascending=[True, False, True])
    return ordered.drop_duplicates("seed", keep="first")


def _compare(x, y, s: Settings, *, noninferior: bool) -> tuple[float, float, float, str]:
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if noninferior:
        ev = mean_difference(
            d,
            support_above=-s.accuracy_margin,
            refute_below=-s.accuracy_margin,
            alpha=s.alpha,
            min_pairs=s.min_pairs,
        )
    else:
        ev = mean_difference(
            d,
            support_above=0.0,
            refute_below=s.accuracy_margin,
            alpha=s.alpha,
            min_pairs=s.min_pairs,
        )
    return ev.estimate, ev.ci_low, ev.ci_high, decide(ev, s.alpha)


def schedule_table(runs: pd.DataFrame, keys=(), settings: Settings | None = None) -> pd.DataFrame:
    """Every strategy of choosing λ against MLE and the best fixed λ, per cell and family.

    Parameters
    ----------
    runs : DataFrame
        Exact-mode metrics with the ``schedule``, ``lam_end`` and
        ``acc_val_expected`` columns; MLE, the fixed-λ arms and the schedule arms.
    keys : sequence of str
        The columns naming a cell (none: the runs are one cell).
    settings : Settings
        α, accuracy margin and minimum pairs (the claims').

    Returns
    -------
    DataFrame
        The keys, then ``SCHEDULE_COLUMNS``: one row per cell × dataset × family ×
        strategy (each schedule, then the validation-chosen λ); ``vs_mle`` and
        ``vs_best_fixed`` are mean paired differences in expected test accuracy
        with their (1 − 2α) intervals and verdicts.

    Raises
    ------
    ValueError
        If a key or a needed column is missing, or the runs have no validation accuracy.
    """
    s = Settings() if settings is None else settings
    keys = list(keys)
    need = [*keys, "dataset", "objective", "mode", "lam", "h_label", "seed", METRIC, "schedule"]
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise ValueError(f"runs have no column {missing[0]!r} (needed for the schedule table)")
    runs = stats.normalise(runs[runs["mode"] == "exact"])
    runs = runs.assign(schedule=runs["schedule"].fillna("").astype(str))
    rows = []
    by = [*keys, "dataset"]
    for cell, g in runs.groupby(by, sort=False):
        cell = dict(zip(by, cell, strict=True))
        mle = g[g["objective"] == "mle"]
        for (obj, h_label), fam in g[g["objective"] != "mle"].groupby(
            ["objective", "h_label"], sort=True
        ):
            fixed = fam[fam["schedule"] == ""]
            scheduled = fam[fam["schedule"] != ""]
            if fixed.empty or scheduled.empty:
                continue
            means = fixed.groupby("lam")[METRIC].mean()
            best_lam = float(means.index[np.argmax(means.to_numpy())])
            best = fixed[fixed["lam"] == best_lam]
            strategies = [
                (_strategy_name(a), arm_runs)
                for _, arm_runs in scheduled.groupby("arm", sort=False)
                for a in [arm_runs.iloc[0]]
            ]
            strategies.append((VALIDATION_STRATEGY, validation_choice(fixed)))
            for name, st in strategies:
                row = {**cell, "objective": obj, "h_label": h_label, "strategy": name,
                       "n_runs": len(st), "mean_acc": float(st[METRIC].mean()),
                       "best_fixed_lam": best_lam}  # fmt: skip
                for ref, df, non in (("vs_mle", mle, False), ("vs_best_fixed", best, True)):
                    if df.empty:
                        est = (math.nan, math.nan, math.nan, "cannot tell")
                    else:
                        est = _compare(*paired(st, df, METRIC), s, noninferior=non)
                    row.update(dict(zip([ref, f"{ref}_low", f"{ref}_high", f"{ref}_verdict"],
                                        est, strict=True)))  # fmt: skip
                rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, *SCHEDULE_COLUMNS])


def schedule_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: how many (cell, dataset, family) comparisons end in each verdict."""
    out = []
    for name, g in table.groupby("strategy", sort=False):
        row = {"strategy": name, "comparisons": len(g)}
        for ref in ("vs_mle", "vs_best_fixed"):
            counts = g[f"{ref}_verdict"].value_counts()
            for v in ("supported", "refuted", "cannot tell"):
                row[f"{ref}_{v.replace(' ', '_')}"] = int(counts.get(v, 0))
        row["mean_vs_best_fixed"] = float(g["vs_best_fixed"].mean())
        out.append(row)
    return pd.DataFrame(out)


def schedule_text(table: pd.DataFrame) -> str:
    """The schedule table in words: each strategy against MLE and the best fixed λ."""
    if table.empty:
        return "No λ schedules were trained."
    parts = []
    for _, r in schedule_summary(table).iterrows():
        n = r["comparisons"]
        parts.append(
            f"**{r['strategy']}**: better than MLE in {r['vs_mle_supported']} of {n} "
            f"comparisons (shown not better by the margin in {r['vs_mle_refuted']}); "
            f"non-inferior to the best fixed λ in {r['vs_best_fixed_supported']} "
            f"(shown worse in {r['vs_best_fixed_refuted']}, cannot tell in "
            f"{r['vs_best_fixed_cannot_tell']}); on average "
            f"{r['mean_vs_best_fixed']:+.3f} in test accuracy against it."
        )
    return "\n".join(f"- {p}" for p in parts)
