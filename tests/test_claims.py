"""The claims as typed records: each rule on worlds whose truth is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_stats import make_roughness, make_runs

from qhnet.analysis import stats
from qhnet.analysis.claims import (
    RULES,
    RUN_CLAIMS,
    TEXT,
    Settings,
    claim1,
    claim2,
    claim4b,
    claims,
    claims_by_optimizer,
)
from qhnet.analysis.verdicts import RECORD_FIELDS

S = Settings()


def overall(t: pd.DataFrame, claim: str) -> str:
    return t[(t["claim"] == claim) & (t["level"] == "claim")]["verdict"].item()


def paired_runs(rng, n_seeds, arms, datasets=("gaussian", "moons", "ring"), shared=0.5):
    """Runs whose arms share a per-seed effect (the shared initial angles).

    ``arms``: arm name → (objective, λ, mean, std); MLE is the arm named "mle".
    """
    rows = []
    for d in datasets:
        z = rng.normal(0, 1, n_seeds)  # the seed's own luck, shared by every arm
        for arm, (obj, lam, mean, sd) in arms.items():
            e = math.sqrt(shared) * z + math.sqrt(1 - shared) * rng.normal(0, 1, n_seeds)
            acc = mean + sd * e
            for s in range(n_seeds):
                rows.append({"dataset": d, "objective": obj, "mode": "exact", "arm": arm,
                             "lam": lam, "h": math.nan, "h_label": "", "layers": 1, "seed": s,
                             "entropy_frac": 0.3, "mode_constant": False,
                             stats.PRIMARY_METRIC: acc[s]})  # fmt: skip
    return pd.DataFrame(rows)


def test_records_have_the_fixed_fields_and_every_claim(tmp_path):
    runs = make_runs(n_seeds=10)
    t = claims(runs)
    assert list(t.columns) == ["claim", "text", *RECORD_FIELDS[1:]]
    assert set(t["verdict"]) <= {"supported", "refuted", "cannot tell"}
    assert set(t["level"]) == {"comparison", "dataset", "claim"}
    tops = t[t["level"] == "claim"]
    assert list(tops["claim"]) == ["1", "2", "3", "4a", "4b", "5", "6", "sampled"]
    assert (tops["dataset"] == "all").all()
    for r in t.itertuples():  # the rule is written once, and every row carries it
        assert r.rule == RULES[r.claim] and r.text == TEXT[r.claim]
    # the same input gives the same table
    pd.testing.assert_frame_equal(t, claims(runs))
    t.to_csv(tmp_path / "c.csv", index=False)
    back = pd.read_csv(tmp_path / "c.csv")
    assert list(back.columns) == list(t.columns)


def test_claim1_supported_refuted_and_collapsed():
    rng = np.random.default_rng(0)
    lower = {"mle": ("mle", math.nan, 0.8, 0.08), "elbo_lam1": ("elbo", 1.0, 0.8, 0.02)}
    t = pd.DataFrame(claim1(paired_runs(rng, 20, lower), S))
    assert overall(t, "1") == "supported"
    higher = {"mle": ("mle", math.nan, 0.8, 0.03), "elbo_lam1": ("elbo", 1.0, 0.8, 0.09)}
    assert overall(pd.DataFrame(claim1(paired_runs(rng, 20, higher), S)), "1") == "refuted"
    # a spread shrunk by collapse to chance never counts
    runs = paired_runs(rng, 20, {"mle": ("mle", math.nan, 0.8, 0.08),
                                 "elbo_lam1000": ("elbo", 1000.0, 0.5, 0.001)})  # fmt: skip
    t = pd.DataFrame(claim1(runs, S))
    row = t[t["level"] == "comparison"].iloc[0]
    assert row["p_support"] < 1e-6 and row["verdict"] == "cannot tell"
    assert "not counted: collapsed" in row["note"]
    assert overall(t, "1") == "cannot tell"
    few = paired_runs(rng, 4, lower)
    assert overall(pd.DataFrame(claim1(few, S)), "1") == "cannot tell"


def test_claim1_identical_arms_are_refuted():
    """ELBO ending on MLE's network on every seed: no reduction, and the pairs show it."""
    rng = np.random.default_rng(1)
    runs = paired_runs(rng, 20, {"mle": ("mle", math.nan, 0.8, 0.05),
                                 "elbo_lam1": ("elbo", 1.0, 0.8, 0.05)}, shared=1.0)  # fmt: skip
    # identical pairs: no reduction of the spread, shown to be below the margin
    t = pd.DataFrame(claim1(runs, S))
    assert overall(t, "1") == "refuted"


def _calibrate(world, n_worlds):
    rng = np.random.default_rng(7)
    return [overall(pd.DataFrame(claim1(world(rng), S)), "1") for _ in range(n_worlds)]


def test_claim1_calibrated_in_null_and_effect_worlds():
    """≥ 200 worlds through claim1 itself: 4 ELBO λ, 20 seeds, 3 datasets."""
    n = 200

    def null(rng):
        arms = {"mle": ("mle", math.nan, 0.8, 0.05)}
        arms |= {f"elbo_lam{lam:g}": ("elbo", lam, 0.8, 0.05) for lam in (0.1, 1, 10, 100)}
        return paired_runs(rng, 20, arms)

    def effect(rng):  # the claim true at the margin's edge on every dataset: one λ at 0.9×
        arms = {"mle": ("mle", math.nan, 0.8, 0.05), "elbo_lam1": ("elbo", 1.0, 0.8, 0.045)}
        arms |= {f"elbo_lam{lam:g}": ("elbo", lam, 0.8, 0.05) for lam in (0.1, 10, 100)}
        return paired_runs(rng, 20, arms)

    v_null = np.array(_calibrate(null, n))
    v_eff = np.array(_calibrate(effect, n))
    se = math.sqrt(0.05 * 0.95 / n)
    assert np.mean(v_null == "supported") <= 0.05 + 2 * se
    assert np.mean(v_eff == "refuted") <= 0.05 + 2 * se


def test_claim4b_and_claim3_directions():
    rng = np.random.default_rng(2)
    arms = {"mle": ("mle", math.nan, 0.8, 0.05), "elbo_lam1": ("elbo", 1.0, 0.85, 0.03),
            "elbo_lam1000": ("elbo", 1000.0, 0.6, 0.03)}  # fmt: skip
    t = pd.DataFrame(claim4b(paired_runs(rng, 20, arms), S))
    assert overall(t, "4b") == "supported"
    arms["elbo_lam1000"] = ("elbo", 1000.0, 0.85, 0.03)
    runs = paired_runs(rng, 20, arms, shared=0.95)
    assert overall(pd.DataFrame(claim4b(runs, S)), "4b") == "refuted"


def test_claims_refuse_a_pool_of_optimizers():
    runs = make_runs(n_seeds=6)
    both = pd.concat([runs.assign(optimizer="adam"), runs.assign(optimizer="lbfgs")])
    with pytest.raises(ValueError, match="several optimizers"):
        claims(both)
    with pytest.raises(ValueError, match="'sgd' has no runs"):
        stats.runs_of_optimizer(both, "sgd")
    exact = runs[runs["mode"] == "exact"]
    other = exact.assign(optimizer="lbfgs", acc_test_expected=0.5)
    pooled = pd.concat([runs.assign(optimizer="adam"), other])
    pd.testing.assert_frame_equal(
        claims(runs.assign(optimizer="adam")), claims(pooled, optimizer="adam")
    )


def test_claims_by_optimizer_decides_each_from_its_own_runs():
    runs = make_runs(n_seeds=6)
    exact = runs[runs["mode"] == "exact"]
    flat = exact.assign(optimizer="lbfgs", acc_test_expected=0.5)  # every arm the same
    both = pd.concat([runs.assign(optimizer="adam"), flat], ignore_index=True)
    by = claims_by_optimizer(both, ["adam", "lbfgs"])
    assert list(by.columns) == ["optimizer", *claims(both, optimizer="adam").columns]
    for optimizer in ("adam", "lbfgs"):
        mine = by[by["optimizer"] == optimizer].drop(columns="optimizer").reset_index(drop=True)
        want = claims(both, optimizer=optimizer)
        want = want[want["claim"].isin(RUN_CLAIMS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, want)
    assert set(by["claim"]) == set(RUN_CLAIMS)
    top = by[by["level"] == "claim"].set_index(["optimizer", "claim"])["verdict"]
    assert (top.loc["adam"] != top.loc["lbfgs"]).any()  # the two optimisers' runs differ


@pytest.mark.parametrize(
    ("key", "value"), [("alpha", 0.0), ("alpha", 0.7), ("accuracy_margin", -0.1), ("min_pairs", 2)]
)
def test_bad_settings_name_the_key(key, value):
    with pytest.raises(ValueError, match=f"analysis.{key}"):
        Settings(**{key: value})


def test_claim2_paired_over_slices():
    t = pd.DataFrame(claim2(make_roughness(smoother=0.6), S))
    assert overall(t, "2") == "supported"
    comp = t[(t["level"] == "comparison") & t["comparison"].str.startswith("ELBO")]
    assert len(comp) == 3 * 2  # datasets x centres
    assert (comp["n_pairs"] == 20).all() and (comp["estimate"] < 0.7).all()
    assert overall(pd.DataFrame(claim2(make_roughness(smoother=1.0), S)), "2") == "refuted"
    # a single slice per dataset has no error bar: no verdict
    one = make_roughness(seeds=1, directions=1)
    assert overall(pd.DataFrame(claim2(one, S)), "2") == "cannot tell"
    assert overall(pd.DataFrame(claim2(None, S)), "2") == "cannot tell"


def test_claims_markdown_renders_the_records_as_they_are():
    from qhnet.analysis.claims import claims_markdown

    t = claims(make_runs(n_seeds=10))
    md = claims_markdown(t).splitlines()
    top = t[t["level"] != "comparison"]
    assert len(md) == 2 + len(top)
    for line, r in zip(md[2:], top.itertuples(), strict=True):
        assert line.startswith(f"| {r.claim} | {r.dataset} |") and f"**{r.verdict}**" in line


def test_paired_refuses_pooled_configurations():
    from qhnet.analysis.claims import paired

    a = pd.DataFrame({"seed": [0, 0, 1], "v": [0.1, 0.2, 0.3]})
    b = pd.DataFrame({"seed": [0, 1], "v": [0.1, 0.3]})
    with pytest.raises(ValueError, match="unique per"):
        paired(a, b, "v")
    x, y = paired(a.iloc[1:], b, "v")
    assert x.tolist() == [0.2, 0.3] and y.tolist() == [0.1, 0.3]


def test_claims_by_cell_decides_each_cell_from_its_runs_alone():
    """Two cells (here: two training-set sizes), one where every arm is the same:
    each cell's records are what claims() gives for its runs, and the cells differ."""
    from qhnet.analysis.claims import claims_by_cell, where_claims_hold, where_claims_hold_text

    runs = make_runs(n_seeds=6)
    exact = runs[runs["mode"] == "exact"].assign(optimizer="lbfgs")
    flat = exact.assign(acc_test_expected=0.5, n_train=300)
    both = pd.concat([exact.assign(n_train=100), flat], ignore_index=True)
    by = claims_by_cell(both, ["n_train", "optimizer"])
    assert list(by.columns[:2]) == ["n_train", "optimizer"]
    assert list(pd.unique(by["n_train"])) == [100, 300]
    for n, g in both.groupby("n_train"):
        want = claims(g, optimizer="lbfgs")
        want = want[want["claim"].isin(RUN_CLAIMS)].reset_index(drop=True)
        mine = by[by["n_train"] == n].drop(columns=["n_train", "optimizer"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, want)
    top = by[by["level"] == "claim"].set_index(["n_train", "claim"])["verdict"]
    assert (top.loc[100] != top.loc[300]).any()
    with pytest.raises(ValueError, match="no column 'ansatz'"):
        claims_by_cell(both, ["ansatz"])
    cells = by.assign(cell=by["n_train"].map({100: "a", 300: "b"}))
    where = where_claims_hold(cells).set_index("claim")
    for claim, row in where.iterrows():
        verdicts = cells[(cells["level"] == "claim") & (cells["claim"] == claim)]
        for v in ("supported", "refuted", "cannot tell"):
            assert row[v] == list(verdicts.loc[verdicts["verdict"] == v, "cell"])
        assert row["cells"] == 2
    text = where_claims_hold_text(cells, base="a")
    assert len(text) == len(RUN_CLAIMS) and all("of 2 (" in t for t in text)
    assert all("`a` (base)" in t for t in text)  # every claim names both cells
    short = where_claims_hold_text(cells, label=str.upper)
    assert all("A" in t and "B" in t and "`" not in t for t in short)
