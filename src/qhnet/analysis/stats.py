"""Descriptive statistics of the runs: the tables and context every verdict stands beside.

The verdicts themselves are decided in :mod:`qhnet.analysis.claims` (paired tests,
docs/verdicts.md); this module reads the tables, selects runs (one optimiser, the
main depth, exact mode, the paper's bandwidth) and describes configurations: the
spread across seeds, the best λ, the roughness of the landscape slices, and the
context that must stand beside every spread.

Honest reading (docs/method.md §6): a q near uniform has expected test accuracy ≈ 0.5
and an across-seed std ≈ 0 *by construction* (flip symmetry), so a standard
deviation is never shown or used without the mean, the mode-BiNN accuracy, the
entropy fraction H/(n ln 2), the mass on the optimum set and the stuck-seed count;
:func:`context` flags the configurations that are collapsed.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from qhnet.experiments.sweep import parse_arm_name

ACC_METRICS = ("acc_test_expected", "acc_test_mode", "acc_test_bma")
PRIMARY_METRIC = "acc_test_expected"  # "final test accuracy": a BiNN drawn from q
OBJECTIVE_ORDER = ("mle", "elbo", "selbo")

COLLAPSE_FRAC = 0.9  # mean H/(n ln 2) above this: q collapsed towards uniform
CHANCE_MARGIN = 0.02  # mean expected test accuracy this close to 1/2: collapsed
LAM_HIGH = 1000.0  # claim 4b: the λ the paper says degrades results
PAPER_H_LABEL = "n/4"  # the paper's fixed SELBO bandwidth
N_BOOT = 2000

GROUP_KEYS = (
    "dataset",
    "optimizer",
    "ansatz",
    "likelihood",
    "mode",
    "objective",
    "arm",
    "lam",
    "h",
    "h_label",
    "layers",
)


# --------------------------------------------------------------------------- helpers


def load_table(path, optional: bool = False) -> pd.DataFrame | None:
    """Read a .parquet or .csv table; ``None`` for a missing optional one.

    CSV turns the empty ``h_label`` of MLE/ELBO into NaN: it is restored to "".
    """
    if path is None or not Path(path).exists():
        if optional:
            return None
        raise FileNotFoundError(f"table not found: {path}")
    path = Path(path)
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    elif path.suffix in (".csv", ".tsv"):
        df = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    else:
        raise ValueError(f"path must end in .parquet, .csv or .tsv; got {str(path)!r}")
    return normalise(df)


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Uniform dtypes whatever the file format: h_label a str ("" when absent)."""
    df = df.copy()
    if "h_label" in df.columns:
        df["h_label"] = df["h_label"].fillna("").astype(str)
        df.loc[df["h_label"].isin(["nan", "None"]), "h_label"] = ""
    for col in ("lam", "h"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def parse_arm(arm: str) -> dict:
    """Objective, mode, λ (NaN if none) and h label of an arm name; objective None if unknown.

    The lenient reader of :func:`qhnet.experiments.sweep.parse_arm_name` for tables
    that may hold foreign names.
    """
    try:
        p = parse_arm_name(arm)
    except ValueError:
        return {"objective": None, "mode": "exact", "lam": math.nan, "h_label": ""}
    return {**p, "lam": math.nan if p["lam"] is None else p["lam"]}


def runs_of_optimizer(df: pd.DataFrame, optimizer: str | None = None) -> pd.DataFrame:
    """The rows of one optimiser's runs: claims are never decided on a pool of optimisers.

    Parameters
    ----------
    df : DataFrame
        A table with an ``optimizer`` column (runs, variance); returned as is without one.
    optimizer : str or None
        The optimiser to keep; None only when ``df`` holds a single optimiser.

    Raises
    ------
    ValueError
        If ``optimizer`` is None and ``df`` holds several optimisers, or if ``df``
        holds no row of ``optimizer``.
    """
    if "optimizer" not in df.columns:
        return df
    present = sorted(df["optimizer"].dropna().unique())
    if optimizer is None:
        if len(present) > 1:
            raise ValueError(f"runs of several optimizers {present}: pass optimizer= one of them")
        return df
    if optimizer not in present:
        raise ValueError(f"optimizer {optimizer!r} has no runs; the table holds {present}")
    return df[df["optimizer"] == optimizer]


def main_layers(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the most common circuit depth (the main sweep; other depths are ablations)."""
    if "layers" not in df.columns or df["layers"].nunique() <= 1:
        return df
    counts = df["layers"].value_counts()
    keep = min(counts.index[counts == counts.max()])
    return df[df["layers"] == keep]


def paper_bandwidth(runs: pd.DataFrame) -> pd.DataFrame:
    """SELBO rows at the paper's bandwidth h = n/4 (by label, else h closest to n/4)."""
    sel = runs[runs["objective"] == "selbo"]
    if sel.empty:
        return sel
    if "h_label" in sel.columns and (sel["h_label"] == PAPER_H_LABEL).any():
        return sel[sel["h_label"] == PAPER_H_LABEL]
    if "n_qubits" not in sel.columns:
        return sel.iloc[0:0]
    target = sel["n_qubits"] / 4
    dist = (sel["h"] - target).abs()
    best = dist.groupby(sel["dataset"]).transform("min")
    return sel[np.isclose(dist, best)]


def _rng(seed: int, *key) -> np.random.Generator:
    """A generator per group, so a group's CI does not depend on which other groups exist."""
    return np.random.default_rng([seed, zlib.crc32(repr(key).encode())])


def finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def _std_ddof1(x, axis=-1):
    return np.std(x, ddof=1, axis=axis)


def bootstrap_std_ci(x, n_boot: int = N_BOOT, rng=None) -> tuple[float, float]:
    """Percentile bootstrap 95 % CI of the std (ddof 1); NaN below 3 values."""
    x = finite(x)
    if len(x) < 3:
        return math.nan, math.nan
    res = sps.bootstrap(
        (x,), _std_ddof1, n_resamples=n_boot, vectorized=True, method="percentile", rng=rng
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _mean(df: pd.DataFrame, col: str) -> float:
    return float(df[col].astype(float).mean()) if col in df.columns else math.nan


def same_value(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or (np.isfinite(a) and np.isfinite(b) and np.isclose(a, b))


def _objective_sort(df: pd.DataFrame) -> pd.DataFrame:
    order = {o: i for i, o in enumerate(OBJECTIVE_ORDER)}
    cols = [c for c in ("dataset", "mode", "objective", "lam", "h", "metric") if c in df.columns]
    return df.sort_values(
        cols,
        key=lambda s: s.map(order) if s.name == "objective" else s,
        na_position="first",
        kind="stable",
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- spread


def context(g: pd.DataFrame) -> dict:
    """What must stand beside every std (docs/method.md §5, §6): collapse, stuckness, optimum mass.

    A configuration is *collapsed* when its mean entropy fraction exceeds
    COLLAPSE_FRAC, or its mean expected test accuracy is within CHANCE_MARGIN of
    ½, or most of its seeds end with a constant mode classifier.
    """
    ent = _mean(g, "entropy_frac")
    acc = _mean(g, PRIMARY_METRIC)
    n_stuck = int(g["mode_constant"].astype(bool).sum()) if "mode_constant" in g else 0
    collapsed = (
        (np.isfinite(ent) and ent > COLLAPSE_FRAC)
        or (np.isfinite(acc) and abs(acc - 0.5) <= CHANCE_MARGIN)
        or n_stuck > len(g) / 2
    )
    return {
        "entropy_frac_mean": ent,
        "collapsed": bool(collapsed),
        "mass_on_optimum_mean": _mean(g, "mass_on_optimum"),
        "n_stuck": n_stuck,
        "acc_test_mode_mean": _mean(g, "acc_test_mode"),
        "ll_gap_mean": _mean(g, "ll_gap"),
        "n_converged": int(g["converged"].astype(bool).sum()) if "converged" in g else len(g),
    }


def _mle_reference(runs: pd.DataFrame, ctx: dict) -> pd.DataFrame:
    """MLE runs of the same dataset and depth, same mode if there are any, else exact."""
    ref = runs[(runs["objective"] == "mle") & (runs["dataset"] == ctx["dataset"])]
    if "layers" in ctx:
        ref = ref[ref["layers"] == ctx["layers"]]
    if "mode" in ctx and "mode" in ref.columns:
        same = ref[ref["mode"] == ctx["mode"]]
        ref = same if not same.empty else ref[ref["mode"] == "exact"]
    return ref


def variance_table(
    runs: pd.DataFrame, metrics: Sequence[str] = ACC_METRICS, n_boot: int = N_BOOT, seed: int = 0
) -> pd.DataFrame:
    """Spread of each accuracy across seeds, per configuration, beside MLE's.

    One row per dataset × mode × objective × arm × λ × h (× h_label, layers) and
    metric: n (finite values), mean, std (ddof 1), var, iqr, min, max, a seeded
    percentile-bootstrap 95 % CI of the std (``std_ci_low/high``; NaN below 3
    values), the MLE std of the same dataset (``std_mle``), ``std_ratio`` =
    std/std_mle (claim 1's paired test is in :mod:`qhnet.analysis.claims`). Beside
    them, the context docs/method.md §6 demands:
    mean entropy fraction, ``collapsed`` (:func:`context`), mean
    mass on the optimum, ``n_stuck`` (mode BiNN constant), mean mode accuracy,
    mean LL gap, ``n_converged``. The same input and seed give the same table.
    """
    runs = normalise(runs)
    keys = [k for k in GROUP_KEYS if k in runs.columns]
    rows = []
    ref_cache: dict = {}
    for key, g in runs.groupby(keys, dropna=False, sort=True):
        ctx = dict(zip(keys, key, strict=True))
        ref_key = (ctx["dataset"], ctx.get("layers"), ctx.get("mode"))
        if ref_key not in ref_cache:
            ref_cache[ref_key] = _mle_reference(runs, ctx)
        ref = ref_cache[ref_key]
        extra = context(g)
        for metric in metrics:
            x = finite(g[metric]) if metric in g.columns else np.array([])
            r = finite(ref[metric]) if metric in ref.columns else np.array([])
            n = len(x)
            std = float(np.std(x, ddof=1)) if n >= 2 else math.nan
            std_mle = float(np.std(r, ddof=1)) if len(r) >= 2 else math.nan
            lo, hi = bootstrap_std_ci(x, n_boot, _rng(seed, *key, metric))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = float(np.divide(std, std_mle))
            rows.append(
                {
                    **ctx,
                    "metric": metric,
                    "n": n,
                    "mean": float(x.mean()) if n else math.nan,
                    "std": std,
                    "var": std**2,
                    "iqr": float(np.subtract(*np.percentile(x, [75, 25]))) if n else math.nan,
                    "min": float(x.min()) if n else math.nan,
                    "max": float(x.max()) if n else math.nan,
                    "std_ci_low": lo,
                    "std_ci_high": hi,
                    "n_mle": len(r),
                    "mean_mle": float(r.mean()) if len(r) else math.nan,
                    "std_mle": std_mle,
                    "std_ratio": ratio,
                    **extra,
                }
            )
    return _objective_sort(pd.DataFrame(rows))


# --------------------------------------------------------------------------- landscape


def landscape_table(landscape_df: pd.DataFrame) -> pd.DataFrame:
    """Mean roughness per dataset × objective × λ over its slices, and the ratio to MLE's.

    Claim 2's paired test over the slices is in :mod:`qhnet.analysis.claims`.
    """
    cols = ["n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian", "loss_range"]
    df = normalise(landscape_df)
    keys = [k for k in ("dataset", "objective", "lam") if k in df.columns]
    agg = {c: "mean" for c in cols if c in df.columns}
    for c in ("h",):
        if c in df.columns:
            agg[c] = "first"
    t = df.groupby(keys, dropna=False, sort=True).agg(agg).reset_index()
    t["n_slices"] = df.groupby(keys, dropna=False, sort=True).size().to_numpy()
    mle = t[t["objective"] == "mle"].drop_duplicates("dataset").set_index("dataset")
    t["rel_lap_ratio"] = t["rel_mean_abs_laplacian"] / t["dataset"].map(
        mle["rel_mean_abs_laplacian"]
    )
    t["abs_lap_ratio"] = t["mean_abs_laplacian"] / t["dataset"].map(mle["mean_abs_laplacian"])
    t["minima_mle"] = t["dataset"].map(mle["n_local_minima"])

    return _objective_sort(t)


# --------------------------------------------------------------------------- λ


def exact_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Exact-mode fixed-λ runs of the main circuit depth: the sweep every exact claim reads
    (λ-schedule arms are compared apart, in ``analysis.schedules``)."""
    runs = main_layers(normalise(runs))
    if "schedule" in runs.columns:
        runs = runs[runs["schedule"].fillna("").astype(str) == ""]
    return runs[runs["mode"] == "exact"] if "mode" in runs.columns else runs


def lambda_table(runs: pd.DataFrame, metric: str = PRIMARY_METRIC) -> pd.DataFrame:
    """Mean accuracy per λ for ELBO and SELBO (h = n/4), and the best λ.

    Per dataset × objective: ``best`` = argmax of the mean (smallest λ on ties).
    """
    ex = exact_runs(runs)
    parts = [ex[ex["objective"] == "elbo"], paper_bandwidth(ex)]
    rows = []
    for part in parts:
        for (d, obj, lam), g in part.groupby(["dataset", "objective", "lam"], sort=True):
            x = finite(g[metric])
            rows.append(
                {
                    "dataset": d,
                    "objective": obj,
                    "lam": lam,
                    "h_label": g["h_label"].iloc[0] if "h_label" in g else "",
                    "n": len(x),
                    "mean": float(x.mean()) if len(x) else math.nan,
                    "std": float(np.std(x, ddof=1)) if len(x) >= 2 else math.nan,
                    **context(g),
                }
            )
    t = pd.DataFrame(rows)
    if t.empty:
        return t
    t["best"] = False
    for _, idx in t.groupby(["dataset", "objective"]).groups.items():
        sub = t.loc[idx].sort_values("lam")
        t.loc[sub["mean"].idxmax(), "best"] = True
    return _objective_sort(t)
