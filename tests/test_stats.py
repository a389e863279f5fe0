"""qhnet.analysis.stats on synthetic results tables whose structure is known by construction.

The generators here (``make_runs``, ``make_results_dir``) are shared with
test_plots.py: they write every table the pipeline's aggregate, landscape and
noise stages produce, in the same columns.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from qhnet.analysis import stats

DATASETS = ("gaussian", "moons", "ring")
N_QUBITS = 14
H_VALUES = {"2": 2.0, "n/4": 3.5, "sqrt(n)": math.sqrt(14), "10": 10.0}
H_SLUG = {"n/4": "n4", "sqrt(n)": "sqrtn"}

# (mean, std, entropy_frac) of acc_test_expected per configuration
MLE = (0.80, 0.08, 0.10)
ELBO = {1.0: (0.84, 0.03, 0.50), 1000.0: (0.50, 0.002, 0.99)}
SELBO = {
    (1.0, "2"): (0.83, 0.04, 0.40),
    (1.0, "n/4"): (0.84, 0.04, 0.45),
    (1000.0, "2"): (0.60, 0.02, 0.85),
    (1000.0, "n/4"): (0.50, 0.003, 0.98),
}
SAMPLED = {(1.0, "n/4"): (0.83, 0.04, 0.45)}


def arm_name(objective: str, mode: str, lam: float, h_label: str) -> str:
    head = objective if mode == "exact" else f"{objective}-{mode}"
    if objective == "mle":
        return head
    name = f"{head}_lam{lam:g}"
    return name + (f"_h{H_SLUG.get(h_label, h_label)}" if objective == "selbo" else "")


def _rows(rng, dataset, objective, mode, lam, h_label, spec, n_seeds):
    mean, std, ent = spec
    acc = np.clip(rng.normal(mean, std, n_seeds), 0.0, 1.0)
    ent = np.clip(ent + rng.normal(0, 0.01, n_seeds), 0.0, 1.0)
    stuck = acc < 0.6
    rows = []
    for s in range(n_seeds):
        best_ll = -20.0
        ell = best_ll - 5 * (1 - acc[s]) - 3 * ent[s]
        rows.append(
            {
                "dataset": dataset,
                "objective": objective,
                "mode": mode,
                "arm": arm_name(objective, mode, lam, h_label),
                "lam": lam,
                "h": H_VALUES[h_label] if objective == "selbo" else math.nan,
                "h_label": h_label if objective == "selbo" else "",
                "layers": 1,
                "seed": s,
                "steps": 1000 + 10 * s,
                "converged": bool(s % 5),
                "objective_value": ell + (0 if math.isnan(lam) else lam * ent[s]),
                "ell": ell,
                "ell_test": 10 * ell,
                "entropy": ent[s] * N_QUBITS * math.log(2),
                "entropy_frac": ent[s],
                "mmd2_ref": 0.1 * (1 - ent[s]),
                "best_ll": best_ll,
                "ll_gap": best_ll - ell,
                "mass_on_optimum": float((1 - ent[s]) * acc[s]),
                "mode_index": int(rng.integers(2**N_QUBITS)),
                "mode_prob": float(1 - ent[s]),
                "mode_ll": best_ll - 1,
                "mode_constant": bool(stuck[s]),
                "mode_is_optimum": bool(acc[s] > mean),
                "acc_train_expected": acc[s] + 0.02,
                "acc_train_mode": acc[s] + 0.03,
                "acc_train_bma": acc[s] + 0.03,
                "acc_test_expected": acc[s],
                "acc_test_mode": float(np.clip(acc[s] + rng.normal(0.05, 0.02), 0, 1)),
                "acc_test_bma": float(np.clip(acc[s] + rng.normal(0.04, 0.02), 0, 1)),
                "n_qubits": N_QUBITS,
            }
        )
    return rows


def make_runs(
    n_seeds: int = 6,
    mle=MLE,
    elbo=None,
    selbo=None,
    sampled=None,
    datasets=DATASETS,
    seed: int = 0,
) -> pd.DataFrame:
    """A runs table: MLE, ELBO per λ, SELBO per λ × h (and sampled SELBO) per dataset."""
    elbo = ELBO if elbo is None else elbo
    selbo = SELBO if selbo is None else selbo
    sampled = SAMPLED if sampled is None else sampled
    rng = np.random.default_rng(seed)
    rows = []
    for d in datasets:
        rows += _rows(rng, d, "mle", "exact", math.nan, "", mle, n_seeds)
        for lam, spec in elbo.items():
            rows += _rows(rng, d, "elbo", "exact", lam, "", spec, n_seeds)
        for (lam, hl), spec in selbo.items():
            rows += _rows(rng, d, "selbo", "exact", lam, hl, spec, n_seeds)
        for (lam, hl), spec in sampled.items():
            rows += _rows(rng, d, "selbo", "sampled", lam, hl, spec, n_seeds)
    return pd.DataFrame(rows)


def make_trajectories(runs: pd.DataFrame, steps: int = 200, every: int = 20) -> pd.DataFrame:
    """Trajectories of every exact run; each seed stops at its own step (convergence test)."""
    rows = []
    for r in runs[runs["mode"] == "exact"].itertuples():
        stop = steps - every * (r.seed % 3)
        for t in range(0, stop + 1, every):
            f = 1 - math.exp(-t / 50)
            rows.append(
                {
                    "dataset": r.dataset,
                    "arm": r.arm,
                    "objective": r.objective,
                    "lam": r.lam,
                    "h": r.h,
                    "seed": r.seed,
                    "step": t,
                    "objective_value": f * r.objective_value - (1 - f) * 70,
                    "ell": f * r.ell - (1 - f) * 70,
                    "entropy": r.entropy,
                    "mmd2_ref": r.mmd2_ref,
                    "acc_train": 0.5 + f * (r.acc_train_expected - 0.5),
                    "acc_test": 0.5 + f * (r.acc_test_expected - 0.5),
                }
            )
    return pd.DataFrame(rows)


def make_landscape(path: Path, dataset: str, res: int = 9, rough: float = 0.3) -> list[dict]:
    """One .npz like scripts/landscape.py writes; returns its roughness rows."""
    from qhnet.experiments.landscape import roughness

    a = np.linspace(-1, 1, res)
    A, B = np.meshgrid(a, a, indexing="ij")
    base = A**2 + B**2
    losses = {
        "mle": base + rough * np.sin(7 * A) * np.cos(7 * B),
        "elbo": 3 * base + 0.01 * np.sin(7 * A),
        "selbo": base + 0.5 * rough * np.sin(7 * A) * np.cos(7 * B),
    }
    lams = {"mle": None, "elbo": 1.0, "selbo": 10.0}
    hs = {"mle": None, "elbo": None, "selbo": 3.5}
    meta, rows, arrays = {}, [], {"alphas": a, "betas": a}
    for obj, loss in losses.items():
        r = roughness(loss, a[1] - a[0])
        arrays[f"{obj}_loss"] = loss
        meta[obj] = {"arm": obj, "lam": lams[obj], "h": hs[obj], "seed": 0, **r}
        rows.append(
            {
                "dataset": dataset,
                "objective": obj,
                "arm": obj,
                "lam": lams[obj],
                "h": hs[obj],
                "seed": 0,
                **r,
            }
        )
    np.savez_compressed(path, meta=json.dumps(meta), **arrays)
    return rows


def make_noise(runs: pd.DataFrame, n_seeds: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    sel = runs[(runs["mode"] == "exact") & runs["arm"].isin(["mle", "selbo_lam1_hn4"])]
    for r in sel[sel["seed"] < n_seeds].itertuples():
        clean = r.acc_test_expected + rng.normal(0, 0.01)
        for backend, shift in (("noiseless", 0.0), ("fake_brisbane", -0.08)):
            rows.append(
                {
                    "dataset": r.dataset,
                    "arm": r.arm,
                    "objective": r.objective,
                    "seed": r.seed,
                    "backend": backend,
                    "shots": 1000,
                    "acc_test_sampled": clean + shift + (rng.normal(0, 0.01) if shift else 0),
                    "acc_test_exact": r.acc_test_expected,
                }
            )
    return pd.DataFrame(rows)


def make_results_dir(root: Path, n_seeds: int = 6, noise: bool = True) -> dict[str, Path]:
    """Every table and landscape file the pipeline leaves in results/, synthetic."""
    tables, land = root / "tables", root / "landscape"
    tables.mkdir(parents=True, exist_ok=True)
    land.mkdir(parents=True, exist_ok=True)
    runs = make_runs(n_seeds=n_seeds)
    paths = {
        "runs_path": tables / "runs.parquet",
        "variance_path": tables / "variance.csv",
        "trajectories_path": tables / "trajectories.parquet",
        "landscape_path": tables / "landscape.csv",
        "landscape_dir": land,
        "noise_path": tables / "noise.csv",
        "claims_path": tables / "claims.csv",
    }
    runs.to_parquet(paths["runs_path"], index=False)
    stats.variance_table(runs, n_boot=200).to_csv(paths["variance_path"], index=False)
    make_trajectories(runs).to_parquet(paths["trajectories_path"], index=False)
    rows = []
    for d in DATASETS:
        rows += make_landscape(land / f"{d}.npz", d)
    pd.DataFrame(rows).to_csv(paths["landscape_path"], index=False)
    if noise:
        make_noise(runs).to_csv(paths["noise_path"], index=False)
    return paths


# --------------------------------------------------------------------------- variance table


@pytest.fixture(scope="module")
def runs():
    return make_runs(n_seeds=6)


@pytest.fixture(scope="module")
def variance(runs):
    return stats.variance_table(runs, n_boot=500, seed=0)


def test_variance_table_shape_and_groups(runs, variance):
    n_configs = runs.groupby(["dataset", "arm"]).ngroups
    assert len(variance) == n_configs * len(stats.ACC_METRICS)
    # MLE (λ NaN, h NaN) forms its own group instead of being dropped
    mle = variance[variance["objective"] == "mle"]
    assert len(mle) == len(DATASETS) * len(stats.ACC_METRICS)
    assert mle["lam"].isna().all() and (mle["n"] == 6).all()


def test_variance_table_matches_pandas(runs, variance):
    keys = ["dataset", "mode", "arm"]
    for metric in stats.ACC_METRICS:
        g = runs.groupby(keys)[metric]
        direct = pd.DataFrame(
            {
                "n": g.count(),
                "mean": g.mean(),
                "std": g.std(ddof=1),
                "var": g.var(ddof=1),
                "iqr": g.quantile(0.75) - g.quantile(0.25),
                "min": g.min(),
                "max": g.max(),
            }
        )
        mine = variance[variance["metric"] == metric].set_index(keys)[direct.columns]
        pd.testing.assert_frame_equal(
            mine.sort_index(), direct.sort_index(), check_dtype=False, rtol=1e-12
        )


def test_variance_table_context_columns(runs, variance):
    v = variance[variance["metric"] == "acc_test_expected"].set_index(["dataset", "arm"])
    g = runs.groupby(["dataset", "arm"])
    assert np.allclose(v["entropy_frac_mean"], g["entropy_frac"].mean().reindex(v.index))
    assert (v["n_stuck"] == g["mode_constant"].sum().reindex(v.index)).all()
    assert np.allclose(v["mass_on_optimum_mean"], g["mass_on_optimum"].mean().reindex(v.index))
    assert np.allclose(v["acc_test_mode_mean"], g["acc_test_mode"].mean().reindex(v.index))
    assert np.allclose(v["ll_gap_mean"], g["ll_gap"].mean().reindex(v.index))
    acc = g[stats.PRIMARY_METRIC].mean().reindex(v.index)
    expected = (
        (v["entropy_frac_mean"] > stats.COLLAPSE_FRAC)
        | ((acc - 0.5).abs() <= stats.CHANCE_MARGIN)
        | (v["n_stuck"] > g.size().reindex(v.index) / 2)
    )
    assert (v["collapsed"] == expected).all()
    assert v.loc[("moons", "elbo_lam1000"), "collapsed"]
    assert not v.loc[("moons", "elbo_lam1"), "collapsed"]


def test_brown_forsythe_matches_scipy(runs, variance):
    for metric in ("acc_test_expected", "acc_test_mode"):
        for d in DATASETS:
            x = runs[(runs["dataset"] == d) & (runs["arm"] == "elbo_lam1")][metric]
            ref = runs[(runs["dataset"] == d) & (runs["arm"] == "mle")][metric]
            want = sps.levene(x, ref, center="median")
            row = variance[
                (variance["dataset"] == d)
                & (variance["arm"] == "elbo_lam1")
                & (variance["metric"] == metric)
            ].iloc[0]
            assert row["bf_stat"] == pytest.approx(want.statistic, rel=1e-12)
            assert row["bf_p"] == pytest.approx(want.pvalue, rel=1e-12)
            assert row["std_ratio"] == pytest.approx(np.std(x, ddof=1) / np.std(ref, ddof=1))
    assert variance.loc[variance["objective"] == "mle", "bf_p"].isna().all()


def test_sampled_rows_are_tested_against_exact_mle(runs, variance):
    row = variance[(variance["mode"] == "sampled") & (variance["metric"] == "acc_test_expected")]
    assert len(row) == len(DATASETS)
    assert row["bf_p"].notna().all() and (row["n_mle"] == 6).all()


def test_bootstrap_ci_contains_std_and_is_deterministic(runs, variance):
    v = variance[variance["n"] >= 3]
    assert v["std_ci_low"].notna().all()
    assert ((v["std_ci_low"] <= v["std"] + 1e-12) & (v["std"] <= v["std_ci_high"] + 1e-12)).all()
    again = stats.variance_table(runs, n_boot=500, seed=0)
    pd.testing.assert_frame_equal(variance, again)
    other = stats.variance_table(runs, n_boot=500, seed=1)
    assert not np.allclose(other["std_ci_low"], variance["std_ci_low"])
    # a group's CI does not depend on which other groups are in the table
    one = stats.variance_table(runs[runs["dataset"] == "ring"], n_boot=500, seed=0)
    both = variance[variance["dataset"] == "ring"].reset_index(drop=True)
    pd.testing.assert_series_equal(one["std_ci_high"], both["std_ci_high"])


def test_variance_table_reads_back_from_csv(tmp_path, runs, variance):
    p = tmp_path / "variance.csv"
    variance.to_csv(p, index=False)
    back = stats.load_table(p)
    assert (back.loc[back["objective"] != "selbo", "h_label"] == "").all()
    assert stats.claims(runs, back, None).equals(stats.claims(runs, variance, None))


def test_variance_table_small_and_missing_values():
    runs = make_runs(n_seeds=2, datasets=("moons",))
    runs.loc[runs.index[:1], "acc_test_bma"] = np.nan
    v = stats.variance_table(runs, n_boot=100)
    assert v["std_ci_low"].isna().all()  # < 3 values: no bootstrap
    first = v[(v["arm"] == "mle") & (v["metric"] == "acc_test_bma")].iloc[0]
    assert first["n"] == 1 and np.isnan(first["std"])


def test_holm_matches_definition():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.005])
    adj = stats.holm(p)
    assert np.isnan(adj[3])
    assert adj[4] == pytest.approx(0.02)  # smallest × 4
    assert adj[0] == pytest.approx(0.03)  # second × 3
    assert adj[2] == pytest.approx(0.06)  # third × 2
    assert adj[1] == pytest.approx(0.06)  # max(0.04 × 1, previous)


def test_parse_arm():
    a = stats.parse_arm("mle")
    assert (a["objective"], a["mode"], a["h_label"]) == ("mle", "exact", "") and np.isnan(a["lam"])
    a = stats.parse_arm("selbo-sampled_lam10_hn4")
    assert (a["objective"], a["mode"], a["lam"], a["h_label"]) == ("selbo", "sampled", 10.0, "n/4")
    assert stats.parse_arm("selbo_lam0.3_hsqrtn")["h_label"] == "sqrt(n)"
    assert stats.parse_arm("elbo_lam1")["lam"] == 1.0


# --------------------------------------------------------------------------- claims


def _verdict(table: pd.DataFrame, claim: str) -> str:
    return table.set_index("claim").at[claim, "verdict"]


def test_claims_table_rows_and_verdicts(runs, variance):
    land = pd.DataFrame(
        [
            {
                "dataset": d,
                "objective": o,
                "n_local_minima": m,
                "mean_abs_laplacian": a,
                "rel_mean_abs_laplacian": r,
                "loss_range": 1.0,
            }
            for d in DATASETS
            for o, m, a, r in (("mle", 4, 2.0, 1.0), ("elbo", 0, 0.5, 0.3), ("selbo", 2, 1.5, 0.8))
        ]
    )
    noise = make_noise(runs)
    t = stats.claims(runs, variance, land, noise, n_boot=300)
    assert list(t["claim"]) == ["1", "2", "3", "4a", "4b", "5", "sampled", "noise"]
    assert set(t["verdict"]) <= set(stats.VERDICTS)
    assert t["evidence"].str.len().gt(10).all() and t["rule"].str.len().gt(10).all()
    assert _verdict(t, "2") == "supported"
    assert _verdict(t, "4b") == "supported"  # λ=1000 collapsed to chance
    assert _verdict(t, "noise") == "refuted"  # fake backend costs 0.08 accuracy
    # without sampled rows or noise rows, those claims are absent
    t2 = stats.claims(runs[runs["mode"] == "exact"], None, land, None, n_boot=200)
    assert list(t2["claim"]) == ["1", "2", "3", "4a", "4b", "5"]


def test_claim1_supported_when_elbo_spread_is_lower():
    runs = make_runs(n_seeds=20, mle=(0.80, 0.10, 0.1), elbo={1.0: (0.84, 0.01, 0.5)})
    t = stats.claims(runs, None, None, n_boot=200)
    assert _verdict(t, "1") == "supported"
    detail = stats.variance_claim_table(stats.variance_table(runs, n_boot=200))
    assert detail["counts"].all()


def test_claim1_collapsed_only_reduction_does_not_count():
    elbo = {1.0: (0.80, 0.10, 0.5), 1000.0: (0.50, 0.001, 0.99)}
    runs = make_runs(n_seeds=20, mle=(0.80, 0.10, 0.1), elbo=elbo)
    var = stats.variance_table(runs, n_boot=200)
    detail = stats.variance_claim_table(var)
    hi = detail[detail["lam"] == 1000.0]
    assert (hi["std"] < hi["std_mle"]).all() and (hi["bf_p"] < 1e-3).all()  # big, "significant"
    assert not hi["counts"].any()
    t = stats.claims(runs, var, None, n_boot=200)
    assert _verdict(t, "1") in ("refuted", "cannot tell")
    assert "collapsed (not counted)" in t.set_index("claim").at["1", "evidence"]


def test_claim1_refuted_when_elbo_spread_is_higher():
    runs = make_runs(n_seeds=20, mle=(0.80, 0.03, 0.1), elbo={1.0: (0.80, 0.12, 0.5)})
    assert _verdict(stats.claims(runs, None, None, n_boot=200), "1") == "refuted"


def test_claim1_mean_drop_does_not_count():
    # a partly collapsed q: lower spread, but bought by drifting towards chance
    runs = make_runs(n_seeds=20, mle=(0.80, 0.10, 0.1), elbo={3.0: (0.62, 0.01, 0.85)})
    detail = stats.variance_claim_table(stats.variance_table(runs, n_boot=100))
    assert not detail["eligible"].any() and not detail["counts"].any()
    assert _verdict(stats.claims(runs, None, None, n_boot=100), "1") == "cannot tell"


def test_claim1_too_few_seeds_cannot_tell():
    runs = make_runs(n_seeds=3, mle=(0.80, 0.10, 0.1), elbo={1.0: (0.84, 0.001, 0.5)})
    assert _verdict(stats.claims(runs, None, None, n_boot=100), "1") == "cannot tell"


def test_claim2_rougher_is_refuted_and_missing_cannot_tell():
    land = pd.DataFrame(
        [
            {
                "dataset": "moons",
                "objective": "mle",
                "n_local_minima": 1,
                "mean_abs_laplacian": 1.0,
                "rel_mean_abs_laplacian": 0.5,
                "loss_range": 2.0,
            },
            {
                "dataset": "moons",
                "objective": "elbo",
                "n_local_minima": 3,
                "mean_abs_laplacian": 2.0,
                "rel_mean_abs_laplacian": 0.9,
                "loss_range": 2.2,
            },
        ]
    )
    t = stats.landscape_table(land)
    assert t.set_index("objective").at["elbo", "verdict"] == "rougher"
    assert stats._claim2(land)[0] == "refuted"
    assert stats._claim2(None)[0] == "cannot tell"
    land.loc[1, "rel_mean_abs_laplacian"] = 0.52  # within the margin
    assert stats._claim2(land)[0] == "cannot tell"


def test_claim3_comparable_and_not():
    elbo = {1.0: (0.84, 0.015, 0.5)}
    same = make_runs(n_seeds=20, elbo=elbo, selbo={(1.0, "n/4"): (0.84, 0.015, 0.4)}, sampled={})
    assert stats._claim3(same)[0] == "supported"
    worse = make_runs(n_seeds=20, selbo={(1.0, "n/4"): (0.70, 0.03, 0.4)}, sampled={})
    assert stats._claim3(worse)[0] == "refuted"
    t = stats.comparable_table(worse, n_boot=300)
    assert (t["ci_high"] < -stats.COMPARABLE_MARGIN).all()


def test_claim4_best_lambda_and_high_lambda():
    elbo = {0.1: (0.80, 0.02, 0.2), 1.0: (0.85, 0.02, 0.5), 1000.0: (0.5, 0.002, 0.99)}
    same = make_runs(n_seeds=20, elbo=elbo, selbo={}, sampled={})
    assert stats._claim4a(same)[0] == "refuted"  # λ=1 best on every dataset
    assert stats._claim4b(same)[0] == "supported"
    # best λ differs: gaussian prefers 0.1, the others 1
    runs = pd.concat(
        [
            make_runs(
                n_seeds=20,
                elbo={0.1: (0.90, 0.01, 0.2), 1.0: (0.80, 0.01, 0.5)},
                selbo={},
                sampled={},
                datasets=("gaussian",),
            ),
            make_runs(
                n_seeds=20,
                elbo={0.1: (0.80, 0.01, 0.2), 1.0: (0.90, 0.01, 0.5)},
                selbo={},
                sampled={},
                datasets=("moons", "ring"),
                seed=1,
            ),
        ]
    )
    assert stats._claim4a(runs)[0] == "supported"
    assert stats._claim4b(runs)[0] == "cannot tell"  # no λ = 1000 in this grid
    lt = stats.lambda_table(runs)
    assert lt.groupby("dataset")["best"].sum().eq(1).all()


def test_claim5_bandwidth_sensitivity():
    flat = make_runs(
        n_seeds=20,
        selbo={(1.0, "2"): (0.84, 0.02, 0.4), (1.0, "n/4"): (0.84, 0.02, 0.4)},
        sampled={},
    )
    assert stats._claim5(flat)[0] in ("refuted", "cannot tell")
    steep = make_runs(
        n_seeds=20,
        selbo={(10.0, "2"): (0.84, 0.02, 0.4), (10.0, "n/4"): (0.60, 0.02, 0.8)},
        sampled={},
    )
    assert stats._claim5(steep)[0] == "supported"
    t = stats.bandwidth_table(steep).set_index("dataset")
    g = steep[steep["dataset"] == "moons"]
    assert t.at["moons", "spread"] == pytest.approx(
        g[g["h_label"] == "2"]["acc_test_expected"].mean()
        - g[g["h_label"] == "n/4"]["acc_test_expected"].mean()
    )
    assert t.at["moons", "best_h"] == "2" and t.at["moons", "p"] < 1e-6


def test_sampled_claim_pairs_with_exact_twin(runs):
    t = stats.sampled_table(runs, n_boot=200)
    assert len(t) == len(DATASETS)
    assert (t["exact_arm"] == "selbo_lam1_hn4").all()


def test_noninferiority_rule():
    m = stats.COMPARABLE_MARGIN
    assert stats.noninferiority(-m / 2, m) == "supported"
    assert stats.noninferiority(-3 * m, -2 * m) == "refuted"
    assert stats.noninferiority(-2 * m, 0.0) == "cannot tell"
    assert stats.noninferiority(np.nan, 0.0) == "cannot tell"
    assert stats.combine_verdicts(["supported", "supported"]) == "supported"
    assert stats.combine_verdicts(["supported", "refuted"]) == "refuted"
    assert stats.combine_verdicts(["supported", "cannot tell"]) == "cannot tell"
    assert stats.combine_verdicts([]) == "cannot tell"


def _config_rows(n, entropy_frac, acc, stuck):
    return pd.DataFrame(
        {
            "entropy_frac": [entropy_frac] * n,
            stats.PRIMARY_METRIC: [acc] * n,
            "mode_constant": [i < stuck for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("entropy_frac", "acc", "stuck", "collapsed"),
    [
        (0.5, 0.80, 0, False),  # live
        (0.95, 0.80, 0, True),  # near-uniform q
        (0.64, 0.49, 0, True),  # ELBO λ = 10 on ring: low entropy but chance accuracy
        (0.50, 0.80, 6, True),  # most seeds end on a constant classifier
        (0.50, 0.80, 5, False),  # half the seeds stuck is not most
    ],
)
def test_collapse_flag_fires_on_entropy_chance_or_stuck(entropy_frac, acc, stuck, collapsed):
    assert stats.context(_config_rows(10, entropy_frac, acc, stuck))["collapsed"] is collapsed


def test_claims_refuse_a_pool_of_optimizers():
    runs = make_runs(n_seeds=6)
    both = pd.concat([runs.assign(optimizer="adam"), runs.assign(optimizer="lbfgs")])
    with pytest.raises(ValueError, match="several optimizers"):
        stats.claims(both, None, None)
    with pytest.raises(ValueError, match="'sgd' has no runs"):
        stats.runs_of_optimizer(both, "sgd")
    # one optimiser's verdicts are those of its runs alone, whatever the other's runs say
    exact = runs[runs["mode"] == "exact"]  # the sampled arm runs under one optimiser only
    other = exact.assign(optimizer="lbfgs", acc_test_expected=0.5)
    pooled = pd.concat([runs.assign(optimizer="adam"), other])
    alone = stats.claims(runs.assign(optimizer="adam"), None, None, n_boot=200)
    picked = stats.claims(pooled, None, None, n_boot=200, optimizer="adam")
    pd.testing.assert_frame_equal(alone, picked)
