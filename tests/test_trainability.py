"""The trainability summary counts hits by hand-checkable rules; its figure draws."""

import numpy as np
import pandas as pd
import pytest

from qhnet.analysis.plots import fig_hit_rates
from qhnet.analysis.trainability import hit_rate_table


def _runs():
    rows = []
    for opt, gaps in (("adam", [0.0, 0.02, 0.5, 1.0]), ("lbfgs", [0.0, 0.0, 0.009, 3.0])):
        for seed, gap in enumerate(gaps):
            rows.append(
                {
                    "dataset": "digits01",
                    "optimizer": opt,
                    "ansatz": "brick",
                    "layers": 2,
                    "seed": seed,
                    "n_train": 100,
                    "best_ll": -34.0,
                    "ll_gap": gap,
                    "mode_is_optimum": gap == 0.0,
                    "optimum_acc_test": 0.9,
                    "acc_test_mode": 0.9 - gap / 10,
                    "seconds": 1.0 + seed,
                    "steps": 100 * (seed + 1),
                    "steps_to_optimum": 10.0 if gap == 0.0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_hit_rates_by_hand():
    t = hit_rate_table(_runs(), hit_tol=1e-4).set_index("optimizer")
    # gaps per point: adam 0, 2e-4, 5e-3, 1e-2; lbfgs 0, 0, 9e-5, 3e-2
    assert t.loc["adam", "hit_rate"] == 0.25 and t.loc["lbfgs", "hit_rate"] == 0.75
    assert t.loc["adam", "mode_hit_rate"] == 0.25 and t.loc["lbfgs", "mode_hit_rate"] == 0.5
    assert t.loc["lbfgs", "optimum_bce"] == pytest.approx(0.34)
    assert t.loc["adam", "median_steps"] == 250 and t.loc["adam", "median_steps_to_optimum"] == 10
    assert (t["n_seeds"] == 4).all()


def test_missing_columns_named():
    with pytest.raises(ValueError, match="missing \\['ll_gap'\\]"):
        hit_rate_table(_runs().drop(columns=["ll_gap"]))


def test_figure_draws(tmp_path):
    fig = fig_hit_rates(hit_rate_table(_runs()))
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000
    fig_hit_rates(None).savefig(tmp_path / "empty.png")
