"""Statistics behind the paper's claims (docs/method.md §6) and an explicit verdict on each.

Every number that backs a claim is computed here, once, so the pipeline's tables,
the figures and the report notebook cannot disagree. Each verdict is one of
``VERDICTS`` and follows a rule written in :func:`claims`'s docstring, with its
thresholds as the module constants below (change them here, not in the report).

Honest reading (docs/method.md §6): a q near uniform has expected test accuracy ≈ 0.5
and an across-seed std ≈ 0 *by construction* (flip symmetry), so a standard
deviation is never shown or used without the mean, the mode-BiNN accuracy, the
entropy fraction H/(n ln 2), the mass on the optimum set and the stuck-seed count,
and configurations with H > ``COLLAPSE_FRAC``·n ln 2 never count as evidence.
"""

from __future__ import annotations

import math
import re
import warnings
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

ACC_METRICS = ("acc_test_expected", "acc_test_mode", "acc_test_bma")
PRIMARY_METRIC = "acc_test_expected"  # "final test accuracy": a BiNN drawn from q
VERDICTS = ("supported", "refuted", "cannot tell")
OBJECTIVE_ORDER = ("mle", "elbo", "selbo")

ALPHA = 0.05  # significance level of every test (after Holm correction where stated)
COLLAPSE_FRAC = 0.9  # mean H/(n ln 2) above this: q collapsed towards uniform
CHANCE_MARGIN = 0.02  # mean expected test accuracy this close to 1/2: collapsed
MIN_SEEDS = 5  # fewer finite values than this in a group: no verdict from it
MEAN_DROP_MARGIN = 0.02  # claim 1: a std reduction bought with a mean drop > this does not count
COMPARABLE_MARGIN = 0.02  # claims 3, sampled, noise: non-inferiority margin (accuracy)
SMOOTH_MARGIN = 0.10  # claim 2: relative roughness must change by more than 10 %
H_SPREAD_MIN = 0.02  # claim 5: spread of mean accuracy across h that matters
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

_ARM_RE = re.compile(
    r"^(?P<objective>mle|elbo|selbo)(?:-(?P<mode>[a-z]+))?(?:_lam(?P<lam>[^_]+))?(?:_h(?P<h>.+))?$"
)
_H_SLUGS = {"sqrtn": "sqrt(n)", "n4": "n/4"}


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
    """Objective, mode, λ and h label from an arm name (qhnet.experiments.sweep.arm_name)."""
    m = _ARM_RE.match(str(arm))
    if not m:
        return {"objective": None, "mode": "exact", "lam": math.nan, "h_label": ""}
    h = m["h"] or ""
    return {
        "objective": m["objective"],
        "mode": m["mode"] or "exact",
        "lam": float(m["lam"]) if m["lam"] else math.nan,
        "h_label": _H_SLUGS.get(h, h),
    }


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


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adj)
    return out


def combine_verdicts(verdicts: Iterable[str]) -> str:
    """A claim made for every case holds only if it holds in each (one refutation refutes)."""
    v = list(verdicts)
    if v and all(x == "supported" for x in v):
        return "supported"
    if any(x == "refuted" for x in v):
        return "refuted"
    return "cannot tell"


def noninferiority(ci_low: float, ci_high: float, margin: float = COMPARABLE_MARGIN) -> str:
    """ "Comparable" = not worse by more than ``margin``, judged on a 95 % CI of the difference."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "cannot tell"
    if ci_low > -margin:
        return "supported"
    if ci_high < -margin:
        return "refuted"
    return "cannot tell"


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


def bootstrap_mean_diff(a, b=None, n_boot: int = N_BOOT, rng=None) -> tuple[float, float, float]:
    """mean(a) − mean(b) (or mean(a) if b is None: paired differences) and its 95 % CI."""
    a = finite(a)
    if b is None:
        if len(a) < 2:
            return (float(a.mean()) if len(a) else math.nan), math.nan, math.nan
        res = sps.bootstrap(
            (a,), np.mean, n_resamples=n_boot, vectorized=True, method="percentile", rng=rng
        )
        diff = float(a.mean())
    else:
        b = finite(b)
        if len(a) < 2 or len(b) < 2:
            return math.nan, math.nan, math.nan

        def stat(x, y, axis=-1):
            return np.mean(x, axis=axis) - np.mean(y, axis=axis)

        res = sps.bootstrap(
            (a, b), stat, n_resamples=n_boot, vectorized=True, method="percentile", rng=rng
        )
        diff = float(a.mean() - b.mean())
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def brown_forsythe(x, y) -> tuple[float, float]:
    """Levene's test with the median (Brown–Forsythe); NaN when undefined (both constant)."""
    x, y = finite(x), finite(y)
    if len(x) < 2 or len(y) < 2:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sps.levene(x, y, center="median")
    return float(r.statistic), float(r.pvalue)


def welch_p(x, y) -> float:
    """Welch t-test p; for two constant samples 1 if equal means, else 0."""
    x, y = finite(x), finite(y)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        return 1.0 if x[0] == y[0] else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sps.ttest_ind(x, y, equal_var=False).pvalue)


def _kruskal_p(groups: list[np.ndarray]) -> float:
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 2:
        return math.nan
    if np.ptp(np.concatenate(groups)) == 0:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sps.kruskal(*groups).pvalue)


def _mean(df: pd.DataFrame, col: str) -> float:
    return float(df[col].astype(float).mean()) if col in df.columns else math.nan


def _f(x, d: int = 3) -> str:
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{d}f}"


def _p(x) -> str:
    return "nan" if not np.isfinite(x) else (f"{x:.1e}" if x < 1e-3 else f"{x:.3f}")


def _lam(x) -> str:
    return "" if not np.isfinite(x) else f"λ={x:g}"


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


# --------------------------------------------------------------------------- claim 1


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
    """Spread of each accuracy across seeds, per configuration, tested against MLE.

    One row per dataset × mode × objective × arm × λ × h (× h_label, layers) and
    metric: n (finite values), mean, std (ddof 1), var, iqr, min, max, a seeded
    percentile-bootstrap 95 % CI of the std (``std_ci_low/high``; NaN below 3
    values), the MLE std of the same dataset (``std_mle``), ``std_ratio`` =
    std/std_mle, and the Brown–Forsythe test against the MLE runs (``bf_stat``,
    ``bf_p``; NaN for MLE itself). Beside them, the context docs/method.md §6 demands:
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
        is_mle = ctx["objective"] == "mle"
        extra = context(g)
        for metric in metrics:
            x = finite(g[metric]) if metric in g.columns else np.array([])
            r = finite(ref[metric]) if metric in ref.columns else np.array([])
            n = len(x)
            std = float(np.std(x, ddof=1)) if n >= 2 else math.nan
            std_mle = float(np.std(r, ddof=1)) if len(r) >= 2 else math.nan
            lo, hi = bootstrap_std_ci(x, n_boot, _rng(seed, *key, metric))
            bf = (math.nan, math.nan) if is_mle else brown_forsythe(x, r)
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
                    "bf_stat": bf[0],
                    "bf_p": bf[1],
                    **extra,
                }
            )
    return _objective_sort(pd.DataFrame(rows))


def variance_claim_table(variance: pd.DataFrame, metric: str = PRIMARY_METRIC) -> pd.DataFrame:
    """Claim 1's evidence: every exact ELBO λ against MLE, with Holm-adjusted p per dataset.

    ``eligible`` = not collapsed and mean ≥ MLE mean − MEAN_DROP_MARGIN (a spread
    shrunk by drifting towards chance is not the claimed effect); ``counts`` =
    eligible, std < std_MLE and Holm p < ALPHA. The Holm family is the non-collapsed
    λ of the dataset (collapse is decided from the entropy, before any test).
    """
    v = main_layers(normalise(variance))
    v = v[(v["metric"] == metric) & (v["objective"] == "elbo")]
    if "mode" in v.columns:
        v = v[v["mode"] == "exact"]
    v = v.copy()
    v["p_holm"] = np.nan
    for _, idx in v.groupby("dataset").groups.items():
        sub = v.loc[idx]
        fam = sub.index[~sub["collapsed"].astype(bool) & (sub["n"] >= MIN_SEEDS)]
        v.loc[fam, "p_holm"] = holm(v.loc[fam, "bf_p"].to_numpy())
    v["lower"] = v["std"] < v["std_mle"]
    v["eligible"] = ~v["collapsed"].astype(bool) & (v["mean"] >= v["mean_mle"] - MEAN_DROP_MARGIN)
    v["counts"] = v["eligible"] & v["lower"] & (v["p_holm"] < ALPHA)
    cols = [
        "dataset",
        "lam",
        "n",
        "mean",
        "std",
        "std_ci_low",
        "std_ci_high",
        "n_mle",
        "mean_mle",
        "std_mle",
        "std_ratio",
        "bf_p",
        "p_holm",
        "entropy_frac_mean",
        "collapsed",
        "mass_on_optimum_mean",
        "n_stuck",
        "acc_test_mode_mean",
        "ll_gap_mean",
        "lower",
        "eligible",
        "counts",
    ]
    return (
        v[[c for c in cols if c in v.columns]]
        .sort_values(["dataset", "lam"])
        .reset_index(drop=True)
    )


def _claim1(variance: pd.DataFrame) -> tuple[str, str]:
    t = variance_claim_table(variance)
    v = main_layers(normalise(variance))
    mle = v[(v["objective"] == "mle") & (v["metric"] == PRIMARY_METRIC)]
    if "mode" in mle.columns:
        mle = mle[mle["mode"] == "exact"]
    datasets = sorted(set(mle["dataset"]) | set(t["dataset"]))
    verdicts, parts = [], []
    for d in datasets:
        m = mle[mle["dataset"] == d]
        e = t[(t["dataset"] == d) & (t["n"] >= MIN_SEEDS)]
        if m.empty or m["n"].iloc[0] < MIN_SEEDS or e.empty:
            verdicts.append("cannot tell")
            parts.append(f"{d}: cannot tell (MLE or ELBO runs missing or < {MIN_SEEDS} seeds)")
            continue
        m = m.iloc[0]
        live = e[~e["collapsed"].astype(bool)]
        if e["counts"].any():
            verdict = "supported"
        elif not live.empty and not live["lower"].any():
            verdict = "refuted"
        else:
            verdict = "cannot tell"
        verdicts.append(verdict)
        head = (
            f"{d}: {verdict} — MLE std {_f(m['std'])} (mean {_f(m['mean'])}, "
            f"stuck {m['n_stuck']}/{m['n']})"
        )
        items = [
            f"{_lam(r.lam)} std {_f(r.std)} ×{_f(r.std_ratio, 2)} p_holm {_p(r.p_holm)} "
            f"mean {_f(r.mean)} H/nln2 {_f(r.entropy_frac_mean, 2)} stuck {r.n_stuck}"
            + ("" if r.eligible else " [mean drop]")
            for r in live.itertuples()
        ]
        dead = e[e["collapsed"].astype(bool)]
        tail = ""
        if not dead.empty:
            low = dead[dead["lower"]]
            tail = "; collapsed (not counted): " + ", ".join(
                f"{_lam(r.lam)} std {_f(r.std)}" for r in dead.itertuples()
            )
            if not low.empty and not live["lower"].any():
                tail += " — lower std only where collapsed"
        parts.append(head + "; " + ("; ".join(items) if items else "no non-collapsed λ") + tail)
    return combine_verdicts(verdicts) if datasets else "cannot tell", " | ".join(parts)


# --------------------------------------------------------------------------- claim 2


def landscape_table(landscape_df: pd.DataFrame) -> pd.DataFrame:
    """Roughness per dataset × objective and its ratio to MLE's, with a per-row verdict.

    ``smoother`` (→ supported) if rel_mean_abs_laplacian ≤ (1 − SMOOTH_MARGIN)·MLE's and
    no more local minima than MLE; ``rougher`` (→ refuted) if ≥ (1 + SMOOTH_MARGIN)·MLE's
    and no fewer minima; else ``unclear`` (→ cannot tell). Several rows (seeds) are averaged.
    """
    cols = ["n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian", "loss_range"]
    df = normalise(landscape_df)
    keys = [k for k in ("dataset", "objective") if k in df.columns]
    agg = {c: "mean" for c in cols if c in df.columns}
    for c in ("lam", "h", "seed"):
        if c in df.columns:
            agg[c] = "first"
    t = df.groupby(keys, dropna=False, sort=True).agg(agg).reset_index()
    t["n_slices"] = df.groupby(keys, dropna=False, sort=True).size().to_numpy()
    mle = t[t["objective"] == "mle"].set_index("dataset")
    t["rel_lap_ratio"] = t["rel_mean_abs_laplacian"] / t["dataset"].map(
        mle["rel_mean_abs_laplacian"]
    )
    t["abs_lap_ratio"] = t["mean_abs_laplacian"] / t["dataset"].map(mle["mean_abs_laplacian"])
    t["minima_mle"] = t["dataset"].map(mle["n_local_minima"])

    def verdict(r) -> str:
        if r["objective"] == "mle" or not np.isfinite(r["rel_lap_ratio"]):
            return ""
        if r["rel_lap_ratio"] <= 1 - SMOOTH_MARGIN and r["n_local_minima"] <= r["minima_mle"]:
            return "smoother"
        if r["rel_lap_ratio"] >= 1 + SMOOTH_MARGIN and r["n_local_minima"] >= r["minima_mle"]:
            return "rougher"
        return "unclear"

    t["verdict"] = t.apply(verdict, axis=1)
    return _objective_sort(t)


def _claim2(landscape_df: pd.DataFrame | None) -> tuple[str, str]:
    if landscape_df is None or landscape_df.empty:
        return "cannot tell", "no landscape table"
    t = landscape_table(landscape_df)
    to_verdict = {"smoother": "supported", "rougher": "refuted"}
    verdicts, parts = [], []
    for d, g in t.groupby("dataset", sort=True):
        e = g[g["objective"] == "elbo"]
        if e.empty or not (g["objective"] == "mle").any():
            verdicts.append("cannot tell")
            parts.append(f"{d}: cannot tell (no MLE or ELBO slice)")
            continue
        e = e.iloc[0]
        m = g[g["objective"] == "mle"].iloc[0]
        verdict = to_verdict.get(e["verdict"], "cannot tell")
        verdicts.append(verdict)
        s = (
            f"{d}: {verdict} — rel |∇²| MLE {_f(m['rel_mean_abs_laplacian'])}, ELBO "
            f"{_f(e['rel_mean_abs_laplacian'])} (×{_f(e['rel_lap_ratio'], 2)}), minima "
            f"{m['n_local_minima']:g}→{e['n_local_minima']:g}"
        )
        sel = g[g["objective"] == "selbo"]
        if not sel.empty:
            r = sel.iloc[0]
            s += (
                f"; SELBO ×{_f(r['rel_lap_ratio'], 2)}, minima {r['n_local_minima']:g} "
                f"({r['verdict']})"
            )
        parts.append(s + f"; {int(m['n_slices'])} slice(s)")
    return combine_verdicts(verdicts), " | ".join(parts)


# --------------------------------------------------------------------------- claims 3, 4


def exact_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Exact-mode runs of the main circuit depth: the sweep every exact claim reads."""
    runs = main_layers(normalise(runs))
    return runs[runs["mode"] == "exact"] if "mode" in runs.columns else runs


def lambda_table(runs: pd.DataFrame, metric: str = PRIMARY_METRIC) -> pd.DataFrame:
    """Mean accuracy per λ for ELBO and SELBO (h = n/4), the best λ and its ties.

    Per dataset × objective: ``best`` = argmax of the mean (smallest λ on ties);
    ``p_vs_best`` = Welch t-test of each λ against the best, ``p_holm`` Holm-adjusted
    over the λ of that dataset × objective; ``tied`` = best, or p_holm ≥ ALPHA.
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
                    "_x": x,
                }
            )
    t = pd.DataFrame(rows)
    if t.empty:
        return t
    t["best"] = False
    t["p_vs_best"] = np.nan
    t["p_holm"] = np.nan
    for _, idx in t.groupby(["dataset", "objective"]).groups.items():
        sub = t.loc[idx].sort_values("lam")
        b = sub["mean"].idxmax()
        t.loc[b, "best"] = True
        others = sub.index[sub.index != b]
        ps = [welch_p(t.at[i, "_x"], t.at[b, "_x"]) for i in others]
        t.loc[others, "p_vs_best"] = ps
        t.loc[others, "p_holm"] = holm(ps)
    t["tied"] = t["best"] | ~(t["p_holm"] < ALPHA)
    return _objective_sort(t.drop(columns="_x"))


def _values(runs, dataset, objective, lam, metric=PRIMARY_METRIC, selbo_paper=True):
    ex = exact_runs(runs)
    src = paper_bandwidth(ex) if objective == "selbo" and selbo_paper else ex
    g = src[(src["dataset"] == dataset) & (src["objective"] == objective)]
    return finite(g[np.isclose(g["lam"], lam)][metric])


def comparable_table(runs: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Claim 3: SELBO (h = n/4) at its best λ vs ELBO at its best λ, per dataset.

    diff = mean_SELBO − mean_ELBO with a seeded percentile-bootstrap 95 % CI;
    verdict by :func:`noninferiority` with COMPARABLE_MARGIN.
    """
    lt = lambda_table(runs)
    rows = []
    if lt.empty:
        return pd.DataFrame(rows)
    best = lt[lt["best"]]
    for d in sorted(best["dataset"].unique()):
        b = best[best["dataset"] == d].set_index("objective")
        if not {"elbo", "selbo"} <= set(b.index):
            rows.append({"dataset": d, "verdict": "cannot tell"})
            continue
        e = _values(runs, d, "elbo", b.at["elbo", "lam"])
        s = _values(runs, d, "selbo", b.at["selbo", "lam"])
        diff, lo, hi = bootstrap_mean_diff(s, e, n_boot, _rng(seed, "claim3", d))
        enough = len(e) >= MIN_SEEDS and len(s) >= MIN_SEEDS
        rows.append(
            {
                "dataset": d,
                "elbo_lam": b.at["elbo", "lam"],
                "elbo_mean": float(e.mean()),
                "elbo_n": len(e),
                "selbo_lam": b.at["selbo", "lam"],
                "selbo_mean": float(s.mean()),
                "selbo_n": len(s),
                "diff": diff,
                "ci_low": lo,
                "ci_high": hi,
                "verdict": noninferiority(lo, hi) if enough else "cannot tell",
            }
        )
    return pd.DataFrame(rows)


def _claim3(runs) -> tuple[str, str]:
    t = comparable_table(runs)
    if t.empty:
        return "cannot tell", "no ELBO or SELBO runs"
    parts = []
    for r in t.to_dict("records"):
        if "diff" not in r or not np.isfinite(r.get("diff", np.nan)):
            parts.append(f"{r['dataset']}: cannot tell (ELBO or SELBO missing)")
            continue
        few = min(r["selbo_n"], r["elbo_n"]) < MIN_SEEDS
        parts.append(
            f"{r['dataset']}: {r['verdict']} — SELBO λ={r['selbo_lam']:g} {_f(r['selbo_mean'])} vs "
            f"ELBO λ={r['elbo_lam']:g} {_f(r['elbo_mean'])}, diff {_f(r['diff'])} "
            f"[{_f(r['ci_low'])}, {_f(r['ci_high'])}], n={r['selbo_n']}/{r['elbo_n']}"
            + (f" (< {MIN_SEEDS} seeds)" if few else "")
        )
    return combine_verdicts(t["verdict"]), " | ".join(parts)


def _claim4a(runs) -> tuple[str, str]:
    lt = lambda_table(runs)
    if lt.empty:
        return "cannot tell", "no ELBO or SELBO runs"
    verdicts, parts = [], []
    for obj, g in lt.groupby("objective", sort=False):
        g = g[g["n"] >= MIN_SEEDS]
        datasets = sorted(g.loc[g["best"], "dataset"].unique())
        if len(datasets) < 2:
            verdicts.append("cannot tell")
            parts.append(f"{obj.upper()}: cannot tell (fewer than 2 datasets)")
            continue
        bests = {d: g[(g["dataset"] == d) & g["best"]]["lam"].iloc[0] for d in datasets}
        ties = [set(g[(g["dataset"] == d) & g["tied"]]["lam"]) for d in datasets]
        common = set.intersection(*ties)
        if not common:
            verdict = "supported"
        elif len(set(bests.values())) == 1:
            verdict = "refuted"
        else:
            verdict = "cannot tell"
        verdicts.append(verdict)
        best_s = ", ".join(f"{d} λ={v:g}" for d, v in bests.items())
        common_s = ", ".join(f"{x:g}" for x in sorted(common)) or "none"
        parts.append(
            f"{obj.upper()}: {verdict} — best {best_s}; λ tied with best everywhere: {common_s}"
        )
    return combine_verdicts(verdicts), " | ".join(parts)


def _claim4b(runs) -> tuple[str, str]:
    lt = lambda_table(runs)
    if lt.empty:
        return "cannot tell", "no ELBO or SELBO runs"
    verdicts, parts = [], []
    for (d, obj), g in lt.groupby(["dataset", "objective"], sort=True):
        hi = g[np.isclose(g["lam"], LAM_HIGH)]
        b = g[g["best"]].iloc[0]
        if hi.empty or hi["n"].iloc[0] < MIN_SEEDS or b["n"] < MIN_SEEDS:
            verdicts.append("cannot tell")
            parts.append(f"{d} {obj.upper()}: cannot tell (no λ={LAM_HIGH:g} runs)")
            continue
        h = hi.iloc[0]
        p = welch_p(_values(runs, d, obj, LAM_HIGH), _values(runs, d, obj, b["lam"]))
        drop = b["mean"] - h["mean"]
        if h["best"]:
            verdict = "refuted"
        elif drop > 0 and p < ALPHA:
            verdict = "supported"
        elif drop < MEAN_DROP_MARGIN:
            verdict = "refuted"
        else:
            verdict = "cannot tell"
        verdicts.append(verdict)
        parts.append(
            f"{d} {obj.upper()}: {verdict} — λ={LAM_HIGH:g} {_f(h['mean'])} (H/nln2 "
            f"{_f(h['entropy_frac_mean'], 2)}) vs best λ={b['lam']:g} {_f(b['mean'])}, "
            f"Welch p {_p(p)}"
        )
    return combine_verdicts(verdicts), " | ".join(parts)


# --------------------------------------------------------------------------- claim 5


def bandwidth_table(runs: pd.DataFrame, metric: str = PRIMARY_METRIC) -> pd.DataFrame:
    """Claim 5: per dataset × λ, how much exact SELBO's mean accuracy moves with h.

    ``spread`` = max − min over h of the mean; ``p`` = Kruskal–Wallis across the h
    groups; ``p_holm`` Holm-adjusted over the λ of the dataset.
    """
    ex = exact_runs(runs)
    sel = ex[ex["objective"] == "selbo"]
    rows = []
    for (d, lam), g in sel.groupby(["dataset", "lam"], sort=True):
        by_h = {h: gg for h, gg in g.groupby("h", sort=True)}
        groups = [finite(gg[metric]) for gg in by_h.values()]
        means = {h: float(x.mean()) for h, x in zip(by_h, groups, strict=True) if len(x)}
        labels = {
            h: (gg["h_label"].iloc[0] if "h_label" in gg else f"{h:g}") for h, gg in by_h.items()
        }
        if not means:
            continue
        hmax, hmin = max(means, key=means.get), min(means, key=means.get)
        rows.append(
            {
                "dataset": d,
                "lam": lam,
                "n_h": len(means),
                "n_min": min(len(x) for x in groups),
                **{f"mean_h={labels[h]}": m for h, m in means.items()},
                "best_h": labels[hmax],
                "worst_h": labels[hmin],
                "spread": means[hmax] - means[hmin],
                "any_collapsed": any(context(gg)["collapsed"] for gg in by_h.values()),
                "all_collapsed": all(context(gg)["collapsed"] for gg in by_h.values()),
                "entropy_frac_spread": float(
                    np.ptp([_mean(gg, "entropy_frac") for gg in by_h.values()])
                ),
                "p": _kruskal_p(groups),
            }
        )
    t = pd.DataFrame(rows)
    if t.empty:
        return t
    t["p_holm"] = np.nan
    for _, idx in t.groupby("dataset").groups.items():
        t.loc[idx, "p_holm"] = holm(t.loc[idx, "p"].to_numpy())
    return t


def _claim5(runs) -> tuple[str, str]:
    t = bandwidth_table(runs)
    if t.empty:
        return "cannot tell", "no SELBO runs"
    verdicts, parts = [], []
    for d, g in t.groupby("dataset", sort=True):
        g = g[(g["n_h"] >= 2) & (g["n_min"] >= MIN_SEEDS)]
        if g.empty:
            verdicts.append("cannot tell")
            parts.append(f"{d}: cannot tell (fewer than 2 bandwidths or {MIN_SEEDS} seeds)")
            continue
        sens = (g["p_holm"] < ALPHA) & (g["spread"] >= H_SPREAD_MIN)
        flat = (g["spread"] < H_SPREAD_MIN) & ~(g["p"] < ALPHA)
        verdict = "supported" if sens.any() else ("refuted" if flat.all() else "cannot tell")
        verdicts.append(verdict)
        r = g.loc[g["spread"].idxmax()]
        where = ", ".join(
            f"{lam:g}" + (" (some h collapsed)" if c else "")
            for lam, c in zip(g.loc[sens, "lam"], g.loc[sens, "any_collapsed"], strict=True)
        )
        parts.append(
            f"{d}: {verdict} — largest spread {_f(r['spread'])} at λ={r['lam']:g} "
            f"(best h={r['best_h']}, worst h={r['worst_h']}, p_holm {_p(r['p_holm'])}); "
            f"sensitive at {int(sens.sum())}/{len(g)} λ" + (f": {where}" if where else "")
        )
    return combine_verdicts(verdicts), " | ".join(parts)


# --------------------------------------------------------------------------- sampled, noise


def sampled_table(runs: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Each sampled-mode arm against its exact twin (same objective, λ, h, dataset).

    diff = mean_sampled − mean_exact with a bootstrap 95 % CI; verdict by
    :func:`noninferiority`.
    """
    runs = main_layers(normalise(runs))
    if "mode" not in runs.columns:
        return pd.DataFrame()
    rows = []
    sampled = runs[runs["mode"] == "sampled"]
    exact = runs[runs["mode"] == "exact"]
    for (d, arm), g in sampled.groupby(["dataset", "arm"], sort=True):
        obj, lam, h = g["objective"].iloc[0], g["lam"].iloc[0], g["h"].iloc[0]
        same_opt = (
            exact["optimizer"] == g["optimizer"].iloc[0]
            if "optimizer" in exact.columns and "optimizer" in g.columns
            else True
        )
        twin = exact[
            same_opt
            & (exact["dataset"] == d)
            & (exact["objective"] == obj)
            & exact["lam"].map(lambda v, lam=lam: same_value(v, lam))
            & exact["h"].map(lambda v, h=h: same_value(v, h))
        ]
        s, e = finite(g[PRIMARY_METRIC]), finite(twin[PRIMARY_METRIC])
        diff, lo, hi = bootstrap_mean_diff(s, e, n_boot, _rng(seed, "sampled", d, arm))
        enough = len(s) >= MIN_SEEDS and len(e) >= MIN_SEEDS
        rows.append(
            {
                "dataset": d,
                "arm": arm,
                "objective": obj,
                "lam": lam,
                "h_label": g["h_label"].iloc[0] if "h_label" in g else "",
                "exact_arm": twin["arm"].iloc[0] if len(twin) else "",
                "n_sampled": len(s),
                "n_exact": len(e),
                "mean_sampled": float(s.mean()) if len(s) else math.nan,
                "mean_exact": float(e.mean()) if len(e) else math.nan,
                "std_sampled": float(np.std(s, ddof=1)) if len(s) >= 2 else math.nan,
                "std_exact": float(np.std(e, ddof=1)) if len(e) >= 2 else math.nan,
                "diff": diff,
                "ci_low": lo,
                "ci_high": hi,
                "verdict": noninferiority(lo, hi) if enough else "cannot tell",
            }
        )
    return pd.DataFrame(rows)


def noise_table(noise_df: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Each noisy backend against noiseless sampling of the same trained circuits.

    Paired per (dataset, arm, seed): d = acc_test_sampled(backend) − the noiseless
    backend's acc_test_sampled (or acc_test_exact when no noiseless row exists);
    mean d with a bootstrap 95 % CI; verdict by :func:`noninferiority`.
    """
    if noise_df is None or noise_df.empty:
        return pd.DataFrame()
    df = noise_df.copy()
    pair = [c for c in ("dataset", "arm", "seed") if c in df.columns]
    extra = [c for c in ("shots",) if c in df.columns]
    clean = df[df["backend"] == "noiseless"]
    ref = clean.groupby(pair)["acc_test_sampled"].mean() if not clean.empty else None
    rows = []
    for key, g in df[df["backend"] != "noiseless"].groupby(
        ["dataset", "objective", "arm", "backend", *extra], sort=True
    ):
        idx = pd.MultiIndex.from_frame(g[pair]) if len(pair) > 1 else g[pair[0]]
        base = (
            pd.Series(ref.reindex(idx).to_numpy(), index=g.index)
            if ref is not None
            else g["acc_test_exact"]
        )
        base = base.fillna(g["acc_test_exact"])
        d = finite(g["acc_test_sampled"].to_numpy() - base.to_numpy())
        mean, lo, hi = bootstrap_mean_diff(d, None, n_boot, _rng(seed, "noise", *key))
        rows.append(
            {
                **dict(zip(["dataset", "objective", "arm", "backend", *extra], key, strict=True)),
                "reference": "noiseless" if ref is not None else "exact",
                "n": len(d),
                "mean_backend": float(g["acc_test_sampled"].mean()),
                "mean_reference": float(base.mean()),
                "diff": mean,
                "ci_low": lo,
                "ci_high": hi,
                "verdict": noninferiority(lo, hi) if len(d) >= MIN_SEEDS else "cannot tell",
            }
        )
    return pd.DataFrame(rows)


def _pairwise_claim(t: pd.DataFrame, label) -> tuple[str, str]:
    parts = []
    for r in t.to_dict("records"):
        n = r["n"] if "n" in r else min(r["n_sampled"], r["n_exact"])
        parts.append(
            f"{label(r)}: {r['verdict']} — diff {_f(r['diff'])} "
            f"[{_f(r['ci_low'])}, {_f(r['ci_high'])}], n={n}"
            + (f" (< {MIN_SEEDS})" if n < MIN_SEEDS else "")
        )
    return combine_verdicts(t["verdict"]), " | ".join(parts)


# --------------------------------------------------------------------------- all claims

CLAIM_TEXT = {
    "1": "ELBO gives lower variance of final test accuracy across random initialisations "
    "than MLE (gaussian, moons, ring).",
    "2": "The entropy regulariser smooths the loss landscape (paper fig. 6).",
    "3": "SELBO (MMD surrogate) performs comparably to the exact ELBO on small datasets.",
    "4a": "The best λ is problem-dependent.",
    "4b": "λ = 1000 degrades results.",
    "5": "SELBO is sensitive to the kernel bandwidth h.",
    "sampled": "SELBO trained from circuit samples (sampled mode) performs comparably to "
    "exact SELBO.",
    "noise": "Sampling trained circuits on a noisy backend keeps the test accuracy of "
    "noiseless sampling (the paper's open question, not one of its claims).",
}

CLAIM_RULE = {
    "1": f"Per dataset, metric {PRIMARY_METRIC}, exact ELBO λ vs MLE. Supported if some λ "
    f"that is not collapsed (entropy fraction ≤ {COLLAPSE_FRAC}, accuracy more than "
    f"{CHANCE_MARGIN} from chance, most seeds not stuck) and whose mean is at most "
    f"{MEAN_DROP_MARGIN} below MLE's has std < std_MLE with Brown–Forsythe p < {ALPHA} "
    f"(Holm-adjusted over the non-collapsed λ). Refuted if no non-collapsed λ has a lower "
    f"std at all. Otherwise, or with < {MIN_SEEDS} seeds, cannot tell. Lower std at "
    "collapsed λ never counts. Overall: supported only if supported on every dataset, "
    "refuted if refuted on any.",
    "2": "Per dataset, ELBO slice vs MLE slice: supported if rel_mean_abs_laplacian ≤ "
    f"{1 - SMOOTH_MARGIN:g}× MLE's and no more strict local minima; refuted if ≥ "
    f"{1 + SMOOTH_MARGIN:g}× and no fewer minima; else cannot tell. One slice per dataset "
    "(one seed, two random directions): no error bar.",
    "3": "Per dataset, SELBO (h = n/4) at its best λ vs ELBO at its best λ (argmax mean "
    f"{PRIMARY_METRIC}): 95 % bootstrap CI of mean_SELBO − mean_ELBO. Supported if the CI "
    f"lies above −{COMPARABLE_MARGIN}; refuted if it lies below −{COMPARABLE_MARGIN}; else "
    "cannot tell.",
    "4a": "Per objective (ELBO, SELBO at h = n/4): the λ tied with each dataset's best "
    f"(Welch p ≥ {ALPHA}, Holm over λ). Supported if no λ is tied with the best on every "
    "dataset; refuted if the same λ is the argmax on every dataset; else cannot tell.",
    "4b": f"Per dataset and objective: supported if mean accuracy at λ = {LAM_HIGH:g} is below "
    f"the best λ's with Welch p < {ALPHA}; refuted if λ = {LAM_HIGH:g} is the best or within "
    f"{MEAN_DROP_MARGIN} of it without a significant drop; else cannot tell.",
    "5": "Per dataset, exact SELBO, across h at each λ: supported if at some λ the spread of "
    f"mean accuracy over h ≥ {H_SPREAD_MIN} with Kruskal–Wallis p < {ALPHA} (Holm over λ); "
    f"refuted if at every λ the spread < {H_SPREAD_MIN} and p ≥ {ALPHA}; else cannot tell.",
    "sampled": "Per sampled arm vs its exact twin: 95 % bootstrap CI of mean_sampled − "
    f"mean_exact; supported if above −{COMPARABLE_MARGIN}, refuted if below "
    f"−{COMPARABLE_MARGIN}, else (or < {MIN_SEEDS} seeds) cannot tell.",
    "noise": "Per noisy backend, paired by run: 95 % bootstrap CI of the mean difference to "
    f"noiseless sampling; supported if above −{COMPARABLE_MARGIN}, refuted if below "
    f"−{COMPARABLE_MARGIN}, else (or < {MIN_SEEDS} runs) cannot tell.",
}


def claims(
    runs: pd.DataFrame,
    variance: pd.DataFrame | None,
    landscape_df: pd.DataFrame | None,
    noise_df: pd.DataFrame | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
    optimizer: str | None = None,
) -> pd.DataFrame:
    """One row per paper claim (docs/method.md §6): claim, text, verdict, evidence, rule.

    Verdicts are "supported", "refuted" or "cannot tell". A claim the paper makes
    for every dataset (or objective, or arm) is supported only if it is supported
    in each case and refuted if it is refuted in any (``combine_verdicts``). The
    rules (constants at the top of this module):

    1. ELBO lowers the across-seed std of ``PRIMARY_METRIC`` vs MLE, per dataset:
       supported if some exact-ELBO λ that is *not collapsed* (mean entropy
       fraction ≤ COLLAPSE_FRAC) and whose mean is within MEAN_DROP_MARGIN of MLE's
       (or above) has std < std_MLE with Brown–Forsythe p < ALPHA, Holm-adjusted
       over the non-collapsed λ; refuted if no non-collapsed λ has a lower std at
       all; cannot tell otherwise (lower but within noise, or fewer than
       MIN_SEEDS seeds). A lower std only at collapsed λ never counts.
    2. Smoother landscape, per dataset (ELBO slice vs MLE slice): supported if the
       scale-free roughness (rel_mean_abs_laplacian) is ≤ (1 − SMOOTH_MARGIN)× MLE's
       with no more strict local minima; refuted if ≥ (1 + SMOOTH_MARGIN)× with no
       fewer; cannot tell otherwise. SELBO's ratio is reported, not judged.
    3. SELBO ≈ ELBO: SELBO at h = n/4 and its best λ vs ELBO at its best λ;
       non-inferiority on the bootstrap 95 % CI of the mean difference with
       COMPARABLE_MARGIN (``noninferiority``).
    4a. Best λ problem-dependent: per objective, the set of λ tied with each
       dataset's best (Welch p ≥ ALPHA after Holm); supported if no λ is tied on
       every dataset, refuted if the argmax λ is identical on every dataset.
    4b. λ = LAM_HIGH degrades: supported if its mean is below the best λ's with
       Welch p < ALPHA; refuted if it is the best or within MEAN_DROP_MARGIN.
    5. Sensitivity to h: supported if at some λ the spread of mean accuracy over h
       is ≥ H_SPREAD_MIN with Kruskal–Wallis p < ALPHA (Holm over λ); refuted if
       every λ has spread < H_SPREAD_MIN and p ≥ ALPHA.
    sampled (only if sampled runs exist): each sampled arm vs its exact twin,
       non-inferiority as in 3.
    noise (only if noise rows exist): each noisy backend vs noiseless sampling,
       paired per run, non-inferiority as in 3.

    ``optimizer`` names the optimiser whose exact runs decide claims 1-5
    (:func:`runs_of_optimizer`; required when the runs hold several).
    """
    runs = normalise(runs)
    # claims 1-5 on one optimiser's runs; the sampled arm is compared with its exact
    # twin under its own optimiser (sampled_table), so it gets every run
    all_runs = runs
    runs = runs_of_optimizer(runs, optimizer)
    if variance is not None:
        variance = runs_of_optimizer(variance, optimizer)
    if variance is None:
        variance = variance_table(runs, n_boot=n_boot, seed=seed)
    out = {
        "1": _claim1(variance),
        "2": _claim2(landscape_df),
        "3": _claim3(runs),
        "4a": _claim4a(runs),
        "4b": _claim4b(runs),
        "5": _claim5(runs),
    }
    if "mode" in all_runs.columns and (all_runs["mode"] == "sampled").any():
        t = sampled_table(all_runs, n_boot, seed)
        out["sampled"] = _pairwise_claim(t, lambda r: f"{r['dataset']} {r['arm']}")
    if noise_df is not None and not noise_df.empty:
        t = noise_table(noise_df, n_boot, seed)
        if not t.empty:
            out["noise"] = _pairwise_claim(
                t, lambda r: f"{r['dataset']} {r['arm']} on {r['backend']}"
            )
    return pd.DataFrame(
        [
            {"claim": c, "text": CLAIM_TEXT[c], "verdict": v, "evidence": e, "rule": CLAIM_RULE[c]}
            for c, (v, e) in out.items()
        ]
    )
