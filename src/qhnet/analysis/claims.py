"""The paper's claims as typed records, each decided by paired tests (docs/verdicts.md).

One function per claim; each returns :class:`~qhnet.analysis.verdicts.Record` rows:
one per comparison, one per dataset (the family of comparisons it rests on) and one
for the claim as a whole. :func:`claims` returns them all as ``claims.csv``'s table.
The rule of each claim is written once, in ``RULES``; the thresholds live in
:class:`Settings` (config ``analysis``).

Runs with the same seed share their initial angles in every arm, so every
comparison between two arms is made on the pairs of runs with the same seed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qhnet.analysis import stats
from qhnet.analysis.verdicts import (
    RECORD_FIELDS,
    Evidence,
    Record,
    all_of,
    any_of,
    as_dict,
    mean_difference,
    no_evidence,
    record,
    std_ratio,
)
from qhnet.validation import check_int, check_number

METRIC = stats.PRIMARY_METRIC


@dataclass(frozen=True)
class Settings:
    """Significance level, margins and minimum sample of every verdict.

    Attributes
    ----------
    alpha : float
        Level of every one-sided test (after Holm's adjustment in a family).
    accuracy_margin : float
        δ for differences in test accuracy (claims 3, 4, 5, sampled, noise).
    std_margin : float
        Claim 1: a reduction of the std by less than this fraction does not count.
    rate_margin : float
        Claim 6: a gain in a hit rate by less than this does not count.
    roughness_margin : float
        Claim 2: a reduction of the roughness by less than this fraction does not count.
    nats : float
        Claim 6: a run "reaches the optimum" when its mode network's train
        log-likelihood is within this many nats of the best.
    min_pairs : int
        Fewer pairs than this decide nothing.
    """

    alpha: float = 0.05
    accuracy_margin: float = 0.02
    std_margin: float = 0.10
    rate_margin: float = 0.10
    roughness_margin: float = 0.10
    nats: float = 1.0
    min_pairs: int = 5

    def __post_init__(self):
        check_number(self.alpha, "analysis.alpha", minimum=0, maximum=0.5, include_min=False)
        for key in ("accuracy_margin", "std_margin", "rate_margin", "roughness_margin"):
            check_number(getattr(self, key), f"analysis.{key}", minimum=0, maximum=1)
        check_number(self.nats, "analysis.nats", minimum=0)
        check_int(self.min_pairs, "analysis.min_pairs", minimum=3)


TEXT = {
    "1": "ELBO gives lower variance of final test accuracy across random initialisations "
    "than MLE (gaussian, moons, ring).",
    "2": "The entropy regulariser smooths the loss landscape (paper fig. 6).",
    "3": "SELBO (MMD surrogate) performs comparably to the exact ELBO on small datasets.",
    "4a": "The best λ is problem-dependent.",
    "4b": "λ = 1000 degrades results.",
    "5": "SELBO is sensitive to the kernel bandwidth h.",
    "6": "ELBO and SELBO improve trainability: more random starts reach the best networks.",
    "sampled": "SELBO trained from circuit samples (sampled mode) performs comparably to "
    "exact SELBO.",
    "noise": "Sampling trained circuits on a noisy backend keeps the test accuracy of "
    "noiseless sampling (the paper's open question, not one of its claims).",
}

RULES = {
    "1": "Per dataset, each exact ELBO λ vs MLE on seed pairs: Pitman–Morgan test of the std "
    "ratio of the expected test accuracy; supported if some eligible λ (not collapsed, mean "
    "not below MLE's by more than the accuracy margin) has a lower std (Holm over λ); refuted "
    "if every eligible λ is shown to reduce the std by less than the std margin (or to "
    "raise it). Holds overall if it holds on every dataset.",
    "2": "Per dataset, each ELBO λ vs MLE on slices along the same directions, centred on "
    "each arm's own angles and on MLE's: paired t on the log roughness ratio over (seed, "
    "direction); supported if some (λ, centre) is smoother (Holm), refuted if every one is "
    "shown smoother by less than the roughness margin. Every dataset.",
    "3": "Per dataset, SELBO (h = n/4) at its best λ vs ELBO at its best λ, on seed pairs: "
    "paired t of the difference in accuracy; supported if it is shown above −margin "
    "(non-inferior), refuted if shown below −margin. Every dataset.",
    "4a": "Per objective, supported if on two datasets two λ swap order, each significantly "
    "(Holm over every pair of datasets and λ); refuted if one λ is within the margin of "
    "every λ on every dataset (Bonferroni over the candidate λ). Both objectives.",
    "4b": "Per dataset and objective, every other λ vs λ = 1000 on seed pairs: supported if "
    "some λ is significantly better than λ = 1000 (Holm), refuted if no λ is better by the "
    "margin. Every dataset and objective.",
    "5": "Per dataset, at each λ every pair of bandwidths on seed pairs: supported if some "
    "pair differs (two-sided paired t, Holm over all pairs), refuted if every pair is "
    "equivalent within the margin (TOST). Holds if it holds on some dataset (Holm).",
    "6": "Per dataset, each ELBO and SELBO (h = n/4) λ vs MLE on seed pairs, two rates: mode "
    "network in the optimum set, mode within the nats threshold of the best train "
    "log-likelihood; paired t of the difference; supported if some (λ, rate) gains (Holm), "
    "refuted if every gain is shown below the rate margin. Every dataset.",
    "sampled": "Each sampled arm vs its exact twin (same objective, λ, h, optimiser) on seed "
    "pairs: non-inferiority of the accuracy as in claim 3. Every arm.",
    "noise": "Each noisy backend vs noiseless sampling of the same trained circuits: paired "
    "t of the difference in sampled accuracy; non-inferiority as in claim 3. Every "
    "dataset, arm and backend.",
}


# --------------------------------------------------------------------------- helpers


def paired(a: pd.DataFrame, b: pd.DataFrame, col: str | Callable, on=("seed",)) -> tuple:
    """Values of ``col`` in ``a`` and ``b`` aligned on ``on`` (pairs present in both)."""
    on = list(on)

    def values(df):
        v = col(df) if callable(col) else df[col]
        return pd.Series(np.asarray(v, dtype=float), index=pd.MultiIndex.from_frame(df[on]))

    va, vb = values(a), values(b)
    for v in (va, vb):
        if v.index.duplicated().any():
            raise ValueError(
                f"paired runs must be unique per {on}; got duplicates "
                f"{sorted(set(v.index[v.index.duplicated()]))[:3]} (runs of several "
                "configurations pooled?)"
            )
    common = va.index.intersection(vb.index).sort_values()
    return va.loc[common].to_numpy(), vb.loc[common].to_numpy()


def _ties(x, y) -> str:
    ok = np.isfinite(x) & np.isfinite(y)
    k = int(np.sum(np.isclose(x[ok], y[ok], rtol=0, atol=1e-12)))
    return f"{k} of {int(ok.sum())} pairs identical" if k else ""


def _lam(x) -> str:
    return f"{x:g}" if np.isfinite(x) else "–"


def _join(*parts) -> str:
    return "; ".join(p for p in parts if p)


class _Claim:
    """Builds one claim's records: comparisons, dataset families, the overall row."""

    def __init__(self, claim: str, s: Settings, margin: float):
        self.claim, self.s, self.margin = claim, s, margin
        self.rows: list[Record] = []

    def add(self, level, dataset, comparison, ev: Evidence, note="", verdict=None) -> Evidence:
        self.rows.append(
            record(
                self.claim,
                level,
                dataset,
                comparison,
                ev,
                margin=self.margin,
                alpha=self.s.alpha,
                rule=RULES[self.claim],
                note=note,
                verdict=verdict,
            )
        )
        return ev

    def overall(self, members: list[Evidence], combine=all_of, note="") -> list[Record]:
        what = "some case" if combine is any_of else "every case"
        if members:
            ev = any_of(members, self.s.alpha) if combine is any_of else all_of(members)
        else:
            ev = no_evidence("no comparisons")
            note = note or "nothing to compare in these runs"
        self.add("claim", "all", f"overall: holds in {what}", ev, note)
        return self.rows


def _groups(ex: pd.DataFrame, objective: str) -> dict:
    """λ → runs of one objective (SELBO at h = n/4), in λ order."""
    src = stats.paper_bandwidth(ex) if objective == "selbo" else ex[ex["objective"] == objective]
    return {lam: g for lam, g in src.groupby("lam", sort=True)}


# --------------------------------------------------------------------------- the claims


def claim1(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("1", s, s.std_margin)
    ex = stats.exact_runs(runs)
    members = []
    for d, g in ex.groupby("dataset", sort=True):
        mle = g[g["objective"] == "mle"]
        fam = []
        for lam, e in _groups(g, "elbo").items():
            x, y = paired(e, mle, METRIC)
            ev = std_ratio(
                x, y, refute_above=1 - s.std_margin, alpha=s.alpha, min_pairs=s.min_pairs
            )
            ctx = stats.context(e)
            drop = np.nanmean(x) < np.nanmean(y) - s.accuracy_margin if x.size else False
            why = (
                "collapsed" if ctx["collapsed"] else "mean below MLE's by > margin" if drop else ""
            )
            note = _join(
                f"not counted: {why}" if why else "",
                _ties(x, y),
                f"means {np.nanmean(x):.3f} vs {np.nanmean(y):.3f}" if x.size else "",
            )
            c.add(
                "comparison",
                d,
                f"ELBO λ={_lam(lam)} vs MLE: std ratio",
                ev,
                note,
                verdict="cannot tell" if why else None,
            )
            if not why:
                fam.append(ev)
        if fam:
            members.append(c.add("dataset", d, "some eligible ELBO λ vs MLE", any_of(fam, s.alpha)))
        else:
            members.append(
                c.add(
                    "dataset",
                    d,
                    "some eligible ELBO λ vs MLE",
                    no_evidence("no eligible λ"),
                    "no eligible λ (all collapsed or below MLE's mean)",
                )
            )
    return c.overall(members)


def claim2(roughness_df: pd.DataFrame | None, s: Settings) -> list[Record]:
    """Roughness of slices along the same directions, paired over (seed, direction)."""
    c = _Claim("2", s, s.roughness_margin)
    if roughness_df is None or roughness_df.empty:
        return c.overall([], note="no roughness table")
    df = stats.normalise(roughness_df)
    if "centre" not in df.columns:
        df = df.assign(centre="own")
    on = [k for k in ("seed", "direction") if k in df.columns]
    members = []
    margin = -math.log(1 - s.roughness_margin)
    for d, g in df.groupby("dataset", sort=True):
        fam = []
        for centre, gc in g.groupby("centre", sort=True):
            mle = gc[gc["objective"] == "mle"]
            where = "own angles" if centre == "own" else "MLE's angles"
            others = gc[gc["objective"] != "mle"].groupby(["objective", "lam"], sort=True)
            for (obj, lam), e in others:
                x, y = paired(e, mle, "rel_mean_abs_laplacian", on=on)
                ev = _better(np.log(y) - np.log(x), s, margin=margin)
                ev = Evidence(
                    *(math.exp(-v) for v in (ev.estimate, ev.ci_high, ev.ci_low)),
                    ev.n_pairs,
                    "paired score t on log roughness ratio",
                    ev.p_support,
                    ev.p_refute,
                    math.exp(-ev.mde),
                    lower_is_better=True,
                )
                note = "" if ev.n_pairs >= s.min_pairs else f"{ev.n_pairs} slice pair(s)"
                label = f"{obj.upper()} λ={_lam(lam)} / MLE at {where}: roughness ratio"
                c.add("comparison", d, label, ev, note)
                if obj == "elbo":
                    fam.append(ev)
        if fam:
            members.append(
                c.add("dataset", d, "some ELBO λ and centre vs MLE", any_of(fam, s.alpha))
            )
    return c.overall(members)


def _best(groups: dict) -> tuple[float, pd.DataFrame]:
    means = {lam: g[METRIC].mean() for lam, g in groups.items()}
    lam = max(means, key=lambda k: (means[k], -k))
    return lam, groups[lam]


def _noninferior(d, s: Settings) -> Evidence:
    m = -s.accuracy_margin
    return mean_difference(d, support_above=m, refute_below=m, alpha=s.alpha, min_pairs=s.min_pairs)


def _better(d, s: Settings, margin: float | None = None, two_sided: bool = False) -> Evidence:
    """An improvement (or, ``two_sided``, a difference): above 0, refuted below the margin."""
    return mean_difference(
        d,
        support_above=0.0,
        refute_below=s.accuracy_margin if margin is None else margin,
        alpha=s.alpha,
        min_pairs=s.min_pairs,
        two_sided=two_sided,
    )


def claim3(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("3", s, s.accuracy_margin)
    ex = stats.exact_runs(runs)
    members = []
    for d, g in ex.groupby("dataset", sort=True):
        el, se = _groups(g, "elbo"), _groups(g, "selbo")
        if not el or not se:
            continue
        (le, ge), (ls, gs) = _best(el), _best(se)
        x, y = paired(gs, ge, METRIC)
        ev = _noninferior(x - y, s)
        note = _join("best λ chosen on the same runs for both objectives", _ties(x, y))
        members.append(
            c.add("dataset", d, f"SELBO λ={_lam(ls)} − ELBO λ={_lam(le)}: accuracy", ev, note)
        )
    return c.overall(members)


def claim4a(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("4a", s, s.accuracy_margin)
    ex = stats.exact_runs(runs)
    members = []
    for obj in ("elbo", "selbo"):
        by_d = {d: _groups(g, obj) for d, g in ex.groupby("dataset", sort=True)}
        by_d = {d: v for d, v in by_d.items() if len(v) >= 2}
        if len(by_d) < 2:
            continue

        cache: dict = {}

        def ev_of(d, l1, l2, by_d=by_d, cache=cache):  # λ = l1 − λ = l2 on dataset d
            if (d, l1, l2) not in cache:
                x, y = paired(by_d[d][l1], by_d[d][l2], METRIC)
                cache[(d, l1, l2)] = _better(x - y, s)
            return cache[(d, l1, l2)]

        # support: some λ pair swaps order on some pair of datasets (both significant)
        swaps = []
        for a, b in itertools.combinations(sorted(by_d), 2):
            common = sorted(set(by_d[a]) & set(by_d[b]))
            for l1, l2 in itertools.permutations(common, 2):
                ea, eb = ev_of(a, l1, l2), ev_of(b, l2, l1)
                negligible = any(e.p_refute < s.alpha for e in (ea, eb))
                p = 1.0 if negligible else max(ea.p_support, eb.p_support)
                est = min(ea.estimate, eb.estimate)
                swaps.append((p, est, f"{a}: λ={_lam(l1)} > λ={_lam(l2)}; {b}: reverse"))
        # refute: one λ* within the margin of every λ on every dataset
        common = sorted(set.intersection(*(set(v) for v in by_d.values())))
        cands = []
        for ls in common:
            evs = [ev_of(d, lam, ls) for d in by_d for lam in common if lam != ls]
            pr = [e.p_refute for e in evs]
            cands.append((max(pr) if pr and np.isfinite(pr).all() else math.nan, ls))
        ps = np.array([p for p, _, _ in swaps], dtype=float)
        k = int(np.isfinite(ps).sum())
        i = int(np.nanargmin(ps)) if k else -1
        p_support = min(1.0, float(ps[i]) * k) if k else math.nan  # Holm's first step
        pr = np.array([p for p, _ in cands], dtype=float)
        j = int(np.nanargmin(pr)) if np.isfinite(pr).any() else -1
        p_refute = min(1.0, float(pr[j]) * int(np.isfinite(pr).sum())) if j >= 0 else math.nan
        ev = Evidence(
            swaps[i][1] if k else math.nan,
            math.nan,
            math.nan,
            min(e.n_pairs for e in cache.values()),
            "paired t, Holm / Bonferroni",
            p_support,
            p_refute,
        )
        note = _join(
            f"strongest swap: {swaps[i][2]}" if k else "",
            f"best common λ*: {_lam(cands[j][1])}" if j >= 0 else "",
        )
        members.append(c.add("dataset", "all", f"{obj.upper()}: best λ across datasets", ev, note))
    return c.overall(members)


def claim4b(runs: pd.DataFrame, s: Settings, lam_high: float = stats.LAM_HIGH) -> list[Record]:
    c = _Claim("4b", s, s.accuracy_margin)
    ex = stats.exact_runs(runs)
    members = []
    for d, g in ex.groupby("dataset", sort=True):
        for obj in ("elbo", "selbo"):
            groups = _groups(g, obj)
            high = next((v for k, v in groups.items() if np.isclose(k, lam_high)), None)
            if high is None:
                continue
            fam = []
            for lam, e in groups.items():
                if np.isclose(lam, lam_high):
                    continue
                x, y = paired(e, high, METRIC)
                ev = _better(x - y, s)
                fam.append(
                    c.add(
                        "comparison",
                        d,
                        f"{obj.upper()} λ={_lam(lam)} − λ={_lam(lam_high)}: accuracy",
                        ev,
                        _ties(x, y),
                    )
                )
            if fam:
                members.append(
                    c.add(
                        "dataset",
                        d,
                        f"{obj.upper()}: some λ beats λ={_lam(lam_high)}",
                        any_of(fam, s.alpha),
                    )
                )
    return c.overall(members)


def claim5(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("5", s, s.accuracy_margin)
    ex = stats.exact_runs(runs)
    sel = ex[ex["objective"] == "selbo"]
    members = []
    for d, g in sel.groupby("dataset", sort=True):
        fam = []
        for lam, gl in g.groupby("lam", sort=True):
            hs = {h: gh for h, gh in gl.groupby("h", sort=True)}
            for h1, h2 in itertools.combinations(sorted(hs), 2):
                x, y = paired(hs[h1], hs[h2], METRIC)
                ev = _better(x - y, s, two_sided=True)
                lab = {h: hs[h]["h_label"].iloc[0] or f"{h:g}" for h in (h1, h2)}
                fam.append(
                    c.add(
                        "comparison",
                        d,
                        f"λ={_lam(lam)}: h={lab[h1]} − h={lab[h2]}",
                        ev,
                        _ties(x, y),
                    )
                )
        if fam:
            members.append(c.add("dataset", d, "some λ and pair of h", any_of(fam, s.alpha)))
    return c.overall(members, combine=any_of)


def _reached(nats: float) -> Callable:
    return lambda df: (df["best_ll"] - df["mode_ll"] <= nats).astype(float)


def claim6(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("6", s, s.rate_margin)
    ex = stats.exact_runs(runs)
    need = {"mode_is_optimum", "mode_ll", "best_ll"}
    if not need <= set(ex.columns):
        return c.overall([], note=f"runs lack {sorted(need - set(ex.columns))}")
    rates = {
        "mode in optimum set": lambda df: df["mode_is_optimum"].astype(float),
        f"mode within {s.nats:g} nats of best": _reached(s.nats),
    }
    members = []
    for d, g in ex.groupby("dataset", sort=True):
        mle = g[g["objective"] == "mle"]
        fam = []
        for obj in ("elbo", "selbo"):
            for lam, e in _groups(g, obj).items():
                for name, f in rates.items():
                    x, y = paired(e, mle, f)
                    ev = _better(x - y, s, margin=s.rate_margin)
                    note = f"rates {np.mean(x):.2f} vs {np.mean(y):.2f}" if x.size else ""
                    fam.append(
                        c.add(
                            "comparison", d, f"{obj.upper()} λ={_lam(lam)} vs MLE: {name}", ev, note
                        )
                    )
        if fam:
            members.append(
                c.add("dataset", d, "some objective, λ and rate vs MLE", any_of(fam, s.alpha))
            )
    return c.overall(members)


def claim_sampled(runs: pd.DataFrame, s: Settings) -> list[Record]:
    c = _Claim("sampled", s, s.accuracy_margin)
    runs = stats.main_layers(stats.normalise(runs))
    sampled, exact = runs[runs["mode"] == "sampled"], runs[runs["mode"] == "exact"]
    members = []
    keys = [k for k in ("dataset", "optimizer", "arm") if k in sampled.columns]
    for key, g in sampled.groupby(keys, sort=True):
        ctx = dict(zip(keys, key, strict=True))
        r = g.iloc[0]
        twin = exact[
            (exact["dataset"] == ctx["dataset"])
            & (exact["objective"] == r["objective"])
            & exact["lam"].map(lambda v, lam=r["lam"]: stats.same_value(v, lam))
            & exact["h"].map(lambda v, h=r["h"]: stats.same_value(v, h))
        ]
        if "optimizer" in ctx:
            twin = twin[twin["optimizer"] == ctx["optimizer"]]
        x, y = paired(g, twin, METRIC)
        opt = f" ({ctx['optimizer']})" if ctx.get("optimizer") else ""
        label = f"{ctx['arm']}{opt} − exact twin: accuracy"
        members.append(c.add("dataset", ctx["dataset"], label, _noninferior(x - y, s)))
    return c.overall(members)


def claim_noise(noise_df: pd.DataFrame | None, s: Settings) -> list[Record]:
    c = _Claim("noise", s, s.accuracy_margin)
    if noise_df is None or noise_df.empty:
        return []
    df = noise_df
    clean = df[df["backend"] == "noiseless"]
    members = []
    for (d, arm, backend), g in df[df["backend"] != "noiseless"].groupby(
        ["dataset", "arm", "backend"], sort=True
    ):
        ref = clean[(clean["dataset"] == d) & (clean["arm"] == arm)]
        x, y = paired(g, ref, "acc_test_sampled")
        se = np.sqrt(np.nanmean(g["acc_se"] ** 2)) if "acc_se" in g else math.nan
        note = f"shot noise of one circuit's accuracy ≈ {se:.4f}" if np.isfinite(se) else ""
        members.append(
            c.add(
                "dataset",
                d,
                f"{arm} on {backend} − noiseless: sampled accuracy",
                _noninferior(x - y, s),
                note,
            )
        )
    return c.overall(members)


def claims(
    runs: pd.DataFrame,
    roughness_df: pd.DataFrame | None = None,
    noise_df: pd.DataFrame | None = None,
    settings: Settings | None = None,
    optimizer: str | None = None,
) -> pd.DataFrame:
    """Every claim's records as one table with the columns ``RECORD_FIELDS`` + ``text``.

    Parameters
    ----------
    runs : DataFrame
        The per-run metrics (``results/tables/runs.parquet``).
    roughness_df, noise_df : DataFrame or None
        The roughness study's and the noise study's tables, when they exist.
    settings : Settings
        α, margins, minimum pairs (defaults: :class:`Settings`).
    optimizer : str or None
        The optimiser whose exact runs decide claims 1-6 (required when the runs
        hold several; :func:`qhnet.analysis.stats.runs_of_optimizer`). The sampled
        arm is compared with its exact twin under its own optimiser.
    """
    s = settings or Settings()
    all_runs = stats.normalise(runs)
    runs = stats.runs_of_optimizer(all_runs, optimizer)
    rows = [
        *claim1(runs, s),
        *claim2(roughness_df, s),
        *claim3(runs, s),
        *claim4a(runs, s),
        *claim4b(runs, s),
        *claim5(runs, s),
        *claim6(runs, s),
    ]
    if "mode" in all_runs.columns and (all_runs["mode"] == "sampled").any():
        rows += claim_sampled(all_runs, s)
    rows += claim_noise(noise_df, s)
    out = pd.DataFrame([as_dict(r) for r in rows], columns=list(RECORD_FIELDS))
    out.insert(1, "text", out["claim"].map(TEXT))
    return out


def claims_markdown(table: pd.DataFrame) -> str:
    """The claim- and dataset-level records of ``claims.csv`` as a Markdown table.

    Renders the rows as they are (the README's findings block); computes nothing.
    """

    def num(x) -> str:
        return "" if pd.isna(x) else f"{x:.3g}"

    lines = [
        "| claim | dataset | comparison | estimate | interval | pairs | p | verdict |",
        "|---|---|---|---:|---|---:|---:|---|",
    ]
    top = table[table["level"] != "comparison"]
    for r in top.itertuples():
        ci = "" if pd.isna(r.ci_low) else f"[{num(r.ci_low)}, {num(r.ci_high)}]"
        what = TEXT.get(str(r.claim), r.comparison) if r.level == "claim" else r.comparison
        lines.append(
            f"| {r.claim} | {r.dataset} | {what} | {num(r.estimate)} | {ci} | {r.n_pairs} | "
            f"{num(r.p_value)} | **{r.verdict}** |"
        )
    return "\n".join(lines) + "\n"


#: The claims decided from the training runs alone (claim 2 needs the roughness
#: study, the sampled and noise claims do not depend on the exact runs' optimiser).
RUN_CLAIMS = ("1", "3", "4a", "4b", "5", "6")


def claims_by_cell(runs: pd.DataFrame, keys, settings: Settings | None = None) -> pd.DataFrame:
    """Claims 1, 3–6 decided once per cell: each from the exact runs of one cell alone.

    A cell is one combination of the ``keys`` columns (for example optimiser,
    ansatz, depth, training-set size, likelihood scale); its runs share the seeds,
    so every comparison stays paired within the cell. Each cell's records are
    what :func:`claims` gives for its runs (with the cell's own optimiser when
    ``optimizer`` is a key).

    Parameters
    ----------
    runs : DataFrame
        The per-run metrics of every cell (a column per key).
    keys : sequence of str
        The columns that name a cell.
    settings : Settings
        α, margins, minimum pairs.

    Returns
    -------
    DataFrame
        The keys, then the columns of :func:`claims`, for the claims ``RUN_CLAIMS``,
        cells in the order they first appear in ``runs``.

    Raises
    ------
    ValueError
        If a key is not a column of ``runs``.
    """
    keys = list(keys)
    missing = [k for k in keys if k not in runs.columns]
    if missing:
        raise ValueError(f"runs have no column {missing[0]!r} to split cells by; got {keys}")
    frames = []
    for cell, g in runs.groupby(keys, sort=False):
        cell = dict(zip(keys, cell if isinstance(cell, tuple) else (cell,), strict=True))
        t = claims(g, None, None, settings, optimizer=cell.get("optimizer"))
        frames.append(t[t["claim"].isin(RUN_CLAIMS)].assign(**cell))
    out = pd.concat(frames, ignore_index=True)
    return out[[*keys, *[c for c in out.columns if c not in keys]]]


def claims_by_optimizer(
    runs: pd.DataFrame, optimizers, settings: Settings | None = None
) -> pd.DataFrame:
    """Claims 1, 3–6 decided once per optimiser, each from that optimiser's exact runs.

    The paper-like optimiser (Adam at a fixed learning rate) and the best one
    found (L-BFGS) train the same arms from the same seeds, so a claim that holds
    under one and not the other describes the optimiser, not the objective. Each
    optimiser's records are what :func:`claims` gives for it.

    Parameters
    ----------
    runs : DataFrame
        The per-run metrics of every optimiser.
    optimizers : sequence of str
        The optimisers to decide under (each must have exact runs).
    settings : Settings
        α, margins, minimum pairs.

    Returns
    -------
    DataFrame
        ``optimizer`` then the columns of :func:`claims`, for the claims ``RUN_CLAIMS``.
    """
    optimizers = list(optimizers)
    for optimizer in optimizers:
        stats.runs_of_optimizer(runs, optimizer)  # raises, naming the optimisers present
    by = claims_by_cell(runs[runs["optimizer"].isin(optimizers)], ["optimizer"], settings)
    order = {o: i for i, o in enumerate(optimizers)}
    return by.sort_values("optimizer", key=lambda c: c.map(order), kind="stable", ignore_index=True)


def where_claims_hold(vmap: pd.DataFrame) -> pd.DataFrame:
    """Per claim, the cells of a verdict map where its overall verdict is each of the three.

    Parameters
    ----------
    vmap : DataFrame
        :func:`claims_by_cell` output with a ``cell`` column.

    Returns
    -------
    DataFrame
        One row per claim (in the map's order): ``claim``, ``text``, ``cells`` (how
        many), then ``supported``, ``refuted`` and ``cannot tell``: each the list
        of cells with that overall verdict, in the map's cell order.
    """
    top = vmap[vmap["level"] == "claim"]
    cells = list(pd.unique(vmap["cell"]))
    rows = []
    for claim in pd.unique(top["claim"]):
        verdicts = top[top["claim"] == claim].set_index("cell")["verdict"]
        row = {"claim": claim, "text": TEXT.get(str(claim), ""), "cells": len(verdicts)}
        for v in ("supported", "refuted", "cannot tell"):
            row[v] = [c for c in cells if verdicts.get(c) == v]
        rows.append(row)
    return pd.DataFrame(rows)


def where_claims_hold_text(
    vmap: pd.DataFrame, base: str | None = None, label: Callable[[str], str] | None = None
) -> list[str]:
    """One sentence per claim saying in which cells it is supported, refuted or undecided.

    ``label`` names a cell (default: its path in backticks, the base marked).
    """

    def name(c: str) -> str:
        return f"`{c}`" + (" (base)" if c == base else "")

    label = label or name
    out = []
    for r in where_claims_hold(vmap).to_dict("records"):
        parts = []
        for verdict in ("supported", "refuted", "cannot tell"):
            if r[verdict]:
                names = ", ".join(label(c) for c in r[verdict])
                parts.append(f"{verdict} in {len(r[verdict])} of {r['cells']} ({names})")
        out.append(f"Claim {r['claim']} ({r['text'].rstrip('.')}): " + "; ".join(parts) + ".")
    return out
