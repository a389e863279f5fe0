"""The scale study's tables and words: accuracy, spread across seeds and cost per method.

Descriptive: the study reports each method's test accuracy (expected under the
final distribution, and of its marginal mode), its spread across seeds and its
cost per step, beside the classical baselines trained on the same data from the
same seeds. It decides no claim (the paper makes none at this scale).
"""

from __future__ import annotations

import pandas as pd

from qhnet.experiments.scale import SCALE_COLUMNS

__all__ = ["scale_summary", "scale_text"]

_KEYS = ["dataset", "hidden", "n_bits", "arm", "method", "objective", "gradient"]


def scale_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per problem and arm: runs, test accuracy (expected and mode) mean and std, cost per step.

    The spread is across seeds (sample standard deviation); ``seconds_per_step``
    is the median over seeds of a run's wall time over its steps (the first seed
    also pays compilation).
    """
    missing = set(SCALE_COLUMNS) - set(runs.columns)
    if missing:
        raise ValueError(f"runs lacks columns {sorted(missing)}")
    g = runs.groupby(_KEYS, sort=False, dropna=False)
    out = g.agg(
        runs=("seed", "size"),
        steps=("steps", "first"),
        shots=("shots", "first"),
        acc_test_expected_mean=("acc_test_expected", "mean"),
        acc_test_expected_std=("acc_test_expected", "std"),
        acc_test_mode_mean=("acc_test_mode", "mean"),
        acc_test_mode_std=("acc_test_mode", "std"),
        ell_train_mean=("ell_train", "mean"),
        entropy_mean=("entropy_est", "mean"),
        seconds_per_step=("seconds_per_step", "median"),
    ).reset_index()
    return out


def scale_text(summary: pd.DataFrame) -> str:
    """Per problem, in words: each arm's accuracy and spread, its cost per step, the range."""
    lines = []
    for (dataset, hidden, n), g in summary.groupby(["dataset", "hidden", "n_bits"], sort=False):
        parts = [
            f"{r.arm} {r.acc_test_expected_mean:.3f} ± {r.acc_test_expected_std:.3f} expected, "
            f"{r.acc_test_mode_mean:.3f} ± {r.acc_test_mode_std:.3f} mode "
            f"({r.seconds_per_step * 1e3:.3g} ms/step)"
            for r in g.itertuples()
        ]
        lo, hi = g["acc_test_mode_mean"].min(), g["acc_test_mode_mean"].max()
        lines.append(
            f"- **{dataset}, {hidden} hidden units ({n} bits)**: "
            + "; ".join(parts)
            + f". The arms' mean mode accuracies span {lo:.3f}–{hi:.3f} "
            f"({int(g['runs'].min())}–{int(g['runs'].max())} seeds each; a descriptive "
            "range, not a ranking)."
        )
    return "\n".join(lines)
