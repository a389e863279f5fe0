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


def make_roughness(datasets=DATASETS, seeds=5, directions=4, smoother=0.7, seed=0) -> pd.DataFrame:
    """A roughness-study table: ELBO slices ``smoother``× MLE's on the same directions."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in datasets:
        for s in range(seeds):
            for k in range(directions):
                base = rng.lognormal(0, 0.3)
                for centre in ("own", "mle"):
                    for arm, obj, lam, f in (
                        ("mle", "mle", math.nan, 1.0),
                        ("elbo_lam1", "elbo", 1.0, smoother),
                        ("selbo_lam10_hn4", "selbo", 10.0, 1.0),
                    ):
                        rough = base * f * rng.lognormal(0, 0.05) if obj != "mle" else base
                        rows.append(
                            {
                                "dataset": d,
                                "arm": arm,
                                "objective": obj,
                                "lam": lam,
                                "h": 3.5 if obj == "selbo" else math.nan,
                                "seed": s,
                                "direction": k,
                                "centre": centre,
                                "n_local_minima": 1,
                                "mean_abs_laplacian": rough,
                                "rel_mean_abs_laplacian": rough,
                                "loss_range": 1.0,
                            }
                        )
    return pd.DataFrame(rows)


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
        "roughness_path": tables / "roughness.csv",
    }
    make_roughness().to_csv(paths["roughness_path"], index=False)
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
    cols = [c for c in variance.columns if c != "h_label"]
    pd.testing.assert_frame_equal(back[cols], variance[cols], check_dtype=False)


def test_variance_table_small_and_missing_values():
    runs = make_runs(n_seeds=2, datasets=("moons",))
    runs.loc[runs.index[:1], "acc_test_bma"] = np.nan
    v = stats.variance_table(runs, n_boot=100)
    assert v["std_ci_low"].isna().all()  # < 3 values: no bootstrap
    first = v[(v["arm"] == "mle") & (v["metric"] == "acc_test_bma")].iloc[0]
    assert first["n"] == 1 and np.isnan(first["std"])


def test_parse_arm():
    a = stats.parse_arm("mle")
    assert (a["objective"], a["mode"], a["h_label"]) == ("mle", "exact", "") and np.isnan(a["lam"])
    a = stats.parse_arm("selbo-sampled_lam10_hn4")
    assert (a["objective"], a["mode"], a["lam"], a["h_label"]) == ("selbo", "sampled", 10.0, "n/4")
    assert stats.parse_arm("selbo_lam0.3_hsqrtn")["h_label"] == "sqrt(n)"
    assert stats.parse_arm("elbo_lam1")["lam"] == 1.0


# --------------------------------------------------------------------------- collapse


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
