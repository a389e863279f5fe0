"""Three-way verdicts from paired comparisons, every one held to the same standard.

Arms that share a seed share their initial angles, so two arms' runs with the same
seed are *pairs*; every comparison here is made on pairs (docs/verdicts.md).

A comparison yields :class:`Evidence`: an estimate, a two-sided (1 − 2α) confidence
interval (so each bound is a one-sided test at level α), and two one-sided p-values:

- ``p_support``: the test of "no improvement" (H0: effect at or below the support
  boundary) against an improvement;
- ``p_refute``: the test of "an improvement of at least the margin δ" (H0: effect at
  or above the refute boundary) against a smaller one (non-superiority), which also
  covers a significant worsening.

:func:`decide` turns them into one of ``VERDICTS``: *refuted* if ``p_refute`` < α,
else *supported* if ``p_support`` < α, else *cannot tell* (and the minimum
detectable effect at this n is reported). A real improvement shown to be smaller
than δ is *refuted* (it does not matter at the stated margin).

Families combine by duality: "some member improves" (:func:`any_of`) is supported
when Holm's adjustment of the members' ``p_support`` leaves one below α (members
shown negligible lend no support) and refuted when every member is refuted (an
intersection-union test, no adjustment needed);
"every member improves" (:func:`all_of`) is supported when every member is
supported and refuted when Holm's adjustment of ``p_refute`` leaves one below α.
Both error rates stay at α in both directions; ``tests/test_verdicts.py`` measures
them on simulated worlds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy import optimize
from scipy import stats as sps

VERDICTS = ("supported", "refuted", "cannot tell")
POWER = 0.8  # the power at which a "cannot tell" states its minimum detectable effect


@dataclass(frozen=True)
class Evidence:
    """The outcome of one paired comparison (or of a family of them).

    ``estimate`` and the interval are in the comparison's own units (a difference
    in accuracy, a ratio of standard deviations, a difference in rates); ``mde``
    is the smallest true effect beyond the support boundary that the test would
    detect with probability ``POWER`` at this n (for a family: its most sensitive
    member's, unadjusted); ``lower_is_better`` orients it (a ratio of spreads).
    """

    estimate: float
    ci_low: float
    ci_high: float
    n_pairs: int
    test: str
    p_support: float
    p_refute: float
    mde: float = math.nan
    lower_is_better: bool = False


@dataclass(frozen=True)
class Record:
    """One row of ``claims.csv``: a comparison, a dataset's family, or a whole claim."""

    claim: str
    level: str  # "comparison", "dataset" or "claim"
    dataset: str
    comparison: str
    estimate: float
    ci_low: float
    ci_high: float
    margin: float
    n_pairs: int
    test: str
    p_value: float
    p_support: float
    p_refute: float
    verdict: str
    mde: float
    note: str
    rule: str


RECORD_FIELDS = tuple(f.name for f in fields(Record))


def record(
    claim: str,
    level: str,
    dataset: str,
    comparison: str,
    ev: Evidence,
    *,
    margin: float,
    alpha: float,
    rule: str,
    note: str = "",
    verdict: str | None = None,
) -> Record:
    """A :class:`Record` from evidence; the verdict by :func:`decide` unless given."""
    v = decide(ev, alpha) if verdict is None else verdict
    if v not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}; got {v!r}")
    p = ev.p_refute if v == "refuted" else ev.p_support
    return Record(
        claim=claim,
        level=level,
        dataset=dataset,
        comparison=comparison,
        estimate=ev.estimate,
        ci_low=ev.ci_low,
        ci_high=ev.ci_high,
        margin=margin,
        n_pairs=ev.n_pairs,
        test=ev.test,
        p_value=p,
        p_support=ev.p_support,
        p_refute=ev.p_refute,
        verdict=v,
        mde=ev.mde,
        note=note,
        rule=rule,
    )


def as_dict(r: Record) -> dict:
    return asdict(r)


def decide(ev: Evidence, alpha: float) -> str:
    """*refuted* if p_refute < α, else *supported* if p_support < α, else *cannot tell*."""
    if np.isfinite(ev.p_refute) and ev.p_refute < alpha:
        return "refuted"
    if np.isfinite(ev.p_support) and ev.p_support < alpha:
        return "supported"
    return "cannot tell"


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = ok.size
    adj = np.maximum.accumulate([(m - i) * p[j] for i, j in enumerate(order)])
    out[order] = np.minimum(adj, 1.0)
    return out


def no_evidence(test: str, n_pairs: int = 0) -> Evidence:
    """Evidence that decides nothing (too few pairs, a degenerate sample)."""
    return Evidence(math.nan, math.nan, math.nan, n_pairs, test, math.nan, math.nan)


def any_of(members: Sequence[Evidence], alpha: float, test: str = "") -> Evidence:
    """Some member improves: Holm over the members' p_support; refuted only if all are.

    A member whose improvement is shown smaller than the margin (its own
    ``p_refute`` < α) lends no support: a real but negligible effect (two λ whose
    accuracies differ by 1e-9 on every seed) must not carry the family. Dropping
    such members only removes rejections, so the level of the support test holds.
    """
    members = [m for m in members if np.isfinite(m.p_support) or np.isfinite(m.p_refute)]
    if not members:
        return no_evidence(test or "any of no comparisons")
    negligible = [bool(np.isfinite(m.p_refute) and m.p_refute < alpha) for m in members]
    ps = holm([1.0 if neg else m.p_support for m, neg in zip(members, negligible, strict=True)])
    pr = np.array([m.p_refute for m in members], dtype=float)
    best = int(np.nanargmin(ps)) if np.isfinite(ps).any() else 0
    m = members[best]
    p_support = float(np.nanmin(ps)) if np.isfinite(ps).any() else math.nan
    p_refute = float(np.max(pr)) if np.isfinite(pr).all() else math.nan
    label = test or f"any of {len(members)} (Holm on support, all must be refuted)"
    return Evidence(
        m.estimate,
        m.ci_low,
        m.ci_high,
        min(x.n_pairs for x in members),
        label,
        p_support,
        p_refute,
        _most_sensitive(members, best=True),
        m.lower_is_better,
    )


def _most_sensitive(members: Sequence[Evidence], best: bool) -> float:
    """The smallest detectable effect of the most (``best``) or least sensitive member."""
    mdes = [m.mde for m in members if np.isfinite(m.mde)]
    if not mdes:
        return math.nan
    lower = members[0].lower_is_better
    return float(max(mdes) if lower == best else min(mdes))


def all_of(members: Sequence[Evidence], test: str = "") -> Evidence:
    """ "Every member improves": supported only if all are; Holm over p_refute."""
    if not members or any(not np.isfinite(m.p_support) for m in members):
        p_support = math.nan
    else:
        p_support = float(max(m.p_support for m in members))
    pr = holm([m.p_refute for m in members]) if members else np.array([])
    p_refute = float(np.nanmin(pr)) if np.isfinite(pr).any() else math.nan
    label = test or f"all of {len(members)} (each must be supported, Holm on refutation)"
    n = min((m.n_pairs for m in members), default=0)
    lower = bool(members and members[0].lower_is_better)
    mde = _most_sensitive(members, best=False) if members else math.nan
    return Evidence(math.nan, math.nan, math.nan, n, label, p_support, p_refute, mde, lower)


# --------------------------------------------------------------------------- paired tests


def pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The pairs where both values are finite."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples must have one shape; got {x.shape} and {y.shape}")
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def _score_t(d: np.ndarray, mu0: float) -> float:
    """t statistic of H0 mean = mu0 with the spread taken about mu0 (a score test)."""
    n = d.size
    s0 = math.sqrt(float(np.sum((d - mu0) ** 2)) / (n - 1))
    m = float(d.mean())
    if s0 == 0.0:
        return 0.0 if m == mu0 else math.copysign(math.inf, m - mu0)
    return (m - mu0) / (s0 / math.sqrt(n))


def mean_difference(
    d,
    *,
    support_above: float,
    refute_below: float,
    alpha: float,
    min_pairs: int = 5,
    two_sided: bool = False,
) -> Evidence:
    """Paired test of the mean of per-seed differences ``d`` (treatment − control).

    One-sided (default; higher is better): ``p_support`` tests H0 mean ≤
    ``support_above``, ``p_refute`` tests H0 mean ≥ ``refute_below``.
    ``two_sided``: ``p_support`` tests mean = 0 (two-sided) and ``p_refute`` is the
    TOST equivalence p for |mean| < ``refute_below``.

    Each test is a *score* t-test: Student's t with n − 1 degrees of freedom, the
    spread measured about the hypothesised mean rather than the sample mean. It
    matches the paired t for normal data and keeps its level far better when many
    pairs are tied (arms that end on the same network) and the rest carry the
    effect (docs/verdicts.md, the calibration table). The interval is the (1 − 2α)
    interval that inverts the same test, so each bound is a one-sided test at α.
    """
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    n = d.size
    test = "paired score t, two-sided / TOST" if two_sided else "paired score t"
    if n < max(min_pairs, 3):
        return no_evidence(test, n)
    m = float(d.mean())
    ss = float(np.sum((d - m) ** 2))
    df = n - 1
    q = float(sps.t.ppf(1 - alpha, df))
    half = math.sqrt(q * q * ss / (n * (n - 1 - q * q))) if n - 1 > q * q else math.inf
    lo, hi = m - half, m + half
    se = math.sqrt(ss / (n - 1) / n)
    if two_sided:
        ps = float(2 * sps.t.sf(abs(_score_t(d, 0.0)), df))
        pr = float(
            max(
                sps.t.sf(_score_t(d, -refute_below), df),
                sps.t.cdf(_score_t(d, refute_below), df),
            )
        )
        mde = float((sps.t.ppf(1 - alpha / 2, df) + sps.t.ppf(POWER, df)) * se)
    else:
        ps = float(sps.t.sf(_score_t(d, support_above), df))
        pr = float(sps.t.cdf(_score_t(d, refute_below), df))
        mde = float(support_above + (q + sps.t.ppf(POWER, df)) * se)
    return Evidence(m, lo, hi, n, test, ps, pr, mde)


def _pm_t(x: np.ndarray, y: np.ndarray, c: float) -> float:
    """Pitman–Morgan t for H0 σx = c·σy: corr(x + c y, x − c y) scaled to t (n − 2 df)."""
    a, b = x + c * y, x - c * y
    sa, sb = a.std(), b.std()
    if sa == 0 or sb == 0:
        return math.nan
    r = float(np.clip(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb), -1.0, 1.0))
    if abs(r) == 1.0:
        return math.copysign(math.inf, r)
    return r * math.sqrt((len(x) - 2) / (1 - r * r))


def std_ratio(
    x,
    y,
    *,
    refute_above: float,
    alpha: float,
    min_pairs: int = 5,
) -> Evidence:
    """Pitman–Morgan test of σx/σy on pairs (x treatment, y control; lower is better).

    ``p_support`` tests H0 σx ≥ σy (a lower spread is the improvement);
    ``p_refute`` tests H0 σx ≤ ``refute_above``·σy (a reduction to at most that
    fraction). The interval inverts the test over the ratio. ``mde`` is the largest
    true ratio the support test detects with probability ``POWER`` (normal theory:
    var log(sx/sy) ≈ (1 − ρ²)/(n − 1)).
    """
    x, y = pairs(x, y)
    n = x.size
    test = "Pitman–Morgan (paired variances)"
    if n < max(min_pairs, 3):
        return no_evidence(test, n)
    sx, sy = float(x.std(ddof=1)), float(y.std(ddof=1))
    if sy == 0.0:
        return no_evidence(test + ": no spread in the control arm", n)
    ratio = sx / sy
    if np.array_equal(x, y):  # the arms ended identical on every seed: the ratio is 1
        return Evidence(1.0, 1.0, 1.0, n, test, 1.0, 0.0 if refute_above < 1 else 1.0, 1.0, True)
    df = n - 2
    t1 = _pm_t(x, y, 1.0)
    tr = _pm_t(x, y, refute_above)
    if math.isnan(t1) or math.isnan(tr):
        return no_evidence(test, n)
    ps = float(sps.t.cdf(t1, df))
    pr = float(sps.t.sf(tr, df))
    q = float(sps.t.ppf(1 - alpha, df))

    def root(target: float) -> float:
        f = lambda lc: _pm_t(x, y, math.exp(lc)) - target  # noqa: E731
        lo, hi = math.log(ratio) - 20, math.log(ratio) + 20
        try:
            return math.exp(optimize.brentq(f, lo, hi, xtol=1e-10))
        except ValueError:
            return math.nan

    ci_low = root(q) if sx > 0 else 0.0
    ci_high = root(-q) if sx > 0 else 0.0
    rho = float(np.corrcoef(x, y)[0, 1]) if sx > 0 else 0.0
    se_log = math.sqrt(max(1 - rho * rho, 0.0) / (n - 1))
    mde = math.exp(-(sps.norm.ppf(1 - alpha) + sps.norm.ppf(POWER)) * se_log)
    return Evidence(ratio, ci_low, ci_high, n, test, ps, pr, mde, lower_is_better=True)
