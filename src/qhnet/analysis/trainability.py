"""The trainability study's summary: how often random starts reach the exhaustive optimum.

For each cell (dataset, optimiser, ansatz, depth), from the per-run metrics that
``scripts/train.py`` writes (evaluated at each run's best iterate):

- the global optimum: the best mean binary cross-entropy over all 2^n BiNNs
  (``best_ll / n_train``, negated) and the optimum set's mean test accuracy;
- ``hit_rate``: the fraction of starts whose expected mean BCE under q is within
  ``hit_tol`` of the optimum's (``ll_gap / n_train <= hit_tol``);
- ``mode_hit_rate``: the fraction whose mode BiNN (argmax q) is in the optimum set;
- medians of the gap, the run time (compilation excluded), the steps, and the
  steps to first reach the optimum set (over the starts that did).
"""

from __future__ import annotations

import pandas as pd

from qhnet.experiments.sweep import objective_arm
from qhnet.validation import check_number

CELL = ("dataset", "optimizer", "ansatz", "layers")


def hit_rate_table(runs: pd.DataFrame, hit_tol: float = 1e-4) -> pd.DataFrame:
    """One row per cell (``CELL``) of the trainability study.

    Parameters
    ----------
    runs : DataFrame
        Per-run metrics with ``CELL`` columns and ``ll_gap``, ``best_ll``,
        ``n_train``, ``mode_is_optimum``, ``optimum_acc_test``, ``acc_test_mode``,
        ``seconds``, ``steps``, ``steps_to_optimum``.
    hit_tol : float
        Tolerance in mean BCE (nats per training point).

    Returns
    -------
    DataFrame
        Columns: the cell, ``n_seeds``, ``optimum_bce``, ``optimum_acc_test``,
        ``hit_rate``, ``mode_hit_rate``, ``median_gap_bce``, ``median_acc_test_mode``,
        ``median_seconds``, ``median_steps``, ``median_steps_to_optimum``, ``hit_tol``.

    Raises
    ------
    ValueError
        If ``hit_tol`` is not > 0 or a column is missing.
    """
    hit_tol = check_number(hit_tol, "hit_tol", minimum=0, include_min=False)
    need = {*CELL, "ll_gap", "best_ll", "n_train", "mode_is_optimum", "optimum_acc_test"}
    need |= {"acc_test_mode", "seconds", "steps", "steps_to_optimum"}
    missing = sorted(need - set(runs.columns))
    if missing:
        raise ValueError(f"runs must have the columns {sorted(need)}; missing {missing}")
    df = runs.assign(
        gap_bce=runs["ll_gap"] / runs["n_train"],
        optimum_bce=-runs["best_ll"] / runs["n_train"],
    )
    df["hit"] = df["gap_bce"] <= hit_tol
    out = (
        df.groupby(list(CELL), sort=True)
        .agg(
            n_seeds=("seed", "size"),
            optimum_bce=("optimum_bce", "first"),
            optimum_acc_test=("optimum_acc_test", "first"),
            hit_rate=("hit", "mean"),
            mode_hit_rate=("mode_is_optimum", "mean"),
            median_gap_bce=("gap_bce", "median"),
            median_acc_test_mode=("acc_test_mode", "median"),
            median_seconds=("seconds", "median"),
            median_steps=("steps", "median"),
            median_steps_to_optimum=("steps_to_optimum", "median"),
        )
        .reset_index()
    )
    out["hit_tol"] = hit_tol
    return out


#: Columns a per-run frame needs for :func:`baseline_table` (circuit runs and baselines).
BASELINE_METRICS = (
    "mode_is_optimum",
    "mass_on_optimum",
    "ll_gap",
    "acc_test_expected",
    "acc_test_mode",
    "acc_test_bma",
    "steps",
)


def baseline_table(baselines: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The classical baselines beside the circuit, one row per (dataset, method).

    Parameters
    ----------
    baselines : DataFrame
        Rows of ``scripts/baselines.py`` (``dataset``, ``method``, ``seed``,
        ``likelihood_evaluations`` and ``BASELINE_METRICS``).
    runs : DataFrame, optional
        The circuit's runs (exact mode, one optimiser) to put beside them: for every
        mean-field λ in ``baselines``, the circuit's arm with the same objective
        (``mle`` for λ = 0, ``elbo_lam<λ>`` otherwise), as method ``circuit_<arm>``.

    Returns
    -------
    DataFrame
        ``dataset``, ``method``, ``n_seeds``, ``hit_rate`` (mode in the optimum set),
        ``mean_mass_on_optimum``, ``median_ll_gap``, mean and standard deviation
        across seeds of the test accuracy (expected, mode; BMA mean), the median
        steps and likelihood evaluations.

    Raises
    ------
    ValueError
        If a column is missing.
    """
    need = {"dataset", "method", "seed", "likelihood_evaluations", *BASELINE_METRICS}
    missing = sorted(need - set(baselines.columns))
    if missing:
        raise ValueError(f"baselines must have the columns {sorted(need)}; missing {missing}")
    frames = [baselines]
    if runs is not None:
        lams = sorted(baselines["lam"].dropna().unique())
        arms = {objective_arm(lam) for lam in lams}
        circ = runs[runs["arm"].isin(arms)]
        circ = circ.assign(
            method="circuit_" + circ["arm"], likelihood_evaluations=2 ** circ["n_qubits"]
        )
        frames.append(circ[[*need]])
    df = pd.concat([f[[*need]] for f in frames], ignore_index=True)
    out = (
        df.groupby(["dataset", "method"], sort=False)
        .agg(
            n_seeds=("seed", "size"),
            hit_rate=("mode_is_optimum", "mean"),
            mean_mass_on_optimum=("mass_on_optimum", "mean"),
            median_ll_gap=("ll_gap", "median"),
            mean_acc_test_expected=("acc_test_expected", "mean"),
            std_acc_test_expected=("acc_test_expected", "std"),
            mean_acc_test_mode=("acc_test_mode", "mean"),
            std_acc_test_mode=("acc_test_mode", "std"),
            mean_acc_test_bma=("acc_test_bma", "mean"),
            median_steps=("steps", "median"),
            median_likelihood_evaluations=("likelihood_evaluations", "median"),
        )
        .reset_index()
    )
    return out.sort_values("dataset", kind="stable").reset_index(drop=True)
