"""The SELBO ablation's table: settings ordered, compared with the exact twin on seed pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qhnet.analysis.ablation import sampled_ablation_table, sampled_ablation_text
from qhnet.analysis.claims import Settings
from qhnet.experiments.config import ablation_settings

S = Settings()


def _runs(rng, n_seeds, shifts):
    """Exact SELBO twin and sampled runs per (m, N_qc) with a mean accuracy shift each."""
    luck = rng.normal(0, 0.03, n_seeds)
    rows = []

    def add(mode, arm, shift, m=None, n=None, optimizer="adam"):
        acc = 0.8 + luck + shift + rng.normal(0, 0.004, n_seeds)
        for s in range(n_seeds):
            rows.append(dict(dataset="moons", arm=arm, mode=mode, objective="selbo", lam=10.0,
                             h=3.5, h_label="n/4", seed=s, optimizer=optimizer,
                             acc_test_expected=acc[s], objective_value=-50 + 100 * shift,
                             shots=n, prior_samples=m))  # fmt: skip

    add("exact", "selbo_lam10_hn4", 0.0)
    add("exact", "selbo_lam10_hn4", 0.3, optimizer="lbfgs")  # another optimiser: not the twin
    for (m, n), shift in shifts.items():
        add("sampled", "selbo-sampled_lam10_hn4", shift, m, n)
    return pd.DataFrame(rows)


def test_settings_in_order_and_verdicts_follow_the_truth():
    rng = np.random.default_rng(0)
    shifts = {("exact", 1000): 0.0, ("10", 1000): -0.01, ("1000", 1000): 0.0,
              ("1000", 10): -0.1}  # fmt: skip
    t = sampled_ablation_table(_runs(rng, 30, shifts), settings=S)
    assert list(zip(t["prior_samples"], t["shots"], strict=True)) == [
        ("10", 1000),
        ("1000", 10),
        ("1000", 1000),
        ("exact", 1000),
    ]
    v = dict(zip(zip(t["prior_samples"], t["shots"], strict=True), t["vs_twin_verdict"],
                 strict=True))  # fmt: skip
    assert v[("exact", 1000)] == v[("1000", 1000)] == "supported"
    assert v[("1000", 10)] == "refuted"  # 0.1 below the twin: shown worse than the margin
    row = t[t["shots"] == 10].iloc[0]
    assert row["objective_gap"] == pytest.approx(-10.0)  # paired on the adam twin only
    assert row["twin_acc"] == pytest.approx(t["twin_acc"].iloc[0])
    assert "m = exact, N_qc = 1000: non-inferior to exact SELBO on 1 of 1" in (
        sampled_ablation_text(t)
    )


def test_missing_twin_and_columns_are_refused():
    rng = np.random.default_rng(1)
    runs = _runs(rng, 6, {("10", 100): 0.0})
    with pytest.raises(ValueError, match="no exact-mode twin"):
        sampled_ablation_table(runs[runs["mode"] == "sampled"])
    with pytest.raises(ValueError, match="'shots'"):
        sampled_ablation_table(runs.drop(columns="shots"))


def test_ablation_settings_change_one_count_at_a_time():
    sp = {"shots": 1000, "prior_samples": 1000,
          "ablation": {"prior_samples": [10, 1000, "exact"], "shots": [10, 100, 1000]}}  # fmt: skip
    assert ablation_settings(sp) == [("10", 1000), ("exact", 1000), ("1000", 10), ("1000", 100)]
