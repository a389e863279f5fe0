"""Error rates of the verdict rules, measured on simulated worlds (docs/verdicts.md).

Each world draws the per-seed results of two arms that share their seeds (a shared
seed effect makes the pairs correlated, as in the real sweep) with a known true
effect, and runs them through the same functions the claims use. Over many worlds
the fraction of *supported* verdicts in worlds with no effect is the false-supported
rate, and the fraction of *refuted* verdicts in worlds with an effect at the margin
is the false-refuted rate; both should stay at or below α.

``calibration_table`` is what ``tests/test_verdicts.py`` asserts on and what
``scripts/tools/calibrate.py`` writes to ``docs/benchmarks/calibration.csv``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qhnet.analysis.verdicts import decide, mean_difference, std_ratio

SD = 0.05  # across-seed spread of a test accuracy in the simulated worlds


def differences(kind: str, effect: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Per-seed differences (treatment − control) with true mean ``effect``.

    ``normal``: correlated normal pairs; ``skewed``: the effect arrives in
    exponentially distributed jumps; ``tied``: 40 % of the pairs end identical
    (the arms converge to the same network) and the effect sits in the others;
    ``tied80``: the same with 80 % identical pairs (reported, not asserted).
    """
    if kind == "normal":
        return rng.normal(effect, SD, n)
    if kind == "skewed":
        return SD * (rng.exponential(1, n) - rng.exponential(1, n)) / math.sqrt(2) + effect * (
            rng.exponential(1, n)
        )
    if kind in ("tied", "tied80"):
        p = 0.4 if kind == "tied" else 0.8
        same = rng.random(n) < p
        free = rng.normal(effect / (1 - p), SD, n)
        return np.where(same, 0.0, free)
    raise ValueError(f"kind must be one of normal, skewed, tied, tied80; got {kind!r}")


def spread_pairs(kind: str, ratio: float, n: int, rng: np.random.Generator):
    """Pairs (treatment, control) whose true std ratio is ``ratio``.

    ``normal``: bivariate normal with correlation 0.5; ``tied``: 40 % of the
    treatment runs equal their control run (before the spread is scaled).
    """
    y = rng.normal(0.8, SD, n)
    if kind == "normal":
        z = 0.5 * (y - 0.8) / SD + math.sqrt(0.75) * rng.normal(0, 1, n)
    elif kind == "tied":
        z = np.where(rng.random(n) < 0.4, (y - 0.8) / SD, rng.normal(0, 1, n))
    else:
        raise ValueError(f"kind must be normal or tied; got {kind!r}")
    return 0.8 + ratio * SD * z, y


def rates(verdicts) -> dict:
    v = np.asarray(verdicts)
    n = v.size
    out = {"worlds": n}
    for name in ("supported", "refuted", "cannot tell"):
        p = float(np.mean(v == name))
        out[name] = p
        out[f"{name} mc_se"] = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return out


def calibration_table(
    worlds: int = 400,
    n: int = 20,
    alpha: float = 0.05,
    margin: float = 0.02,
    std_margin: float = 0.10,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (test, world family, true effect) with the verdict rates.

    Columns: test, kind, truth (what the world is: null, boundary, effect),
    effect, n, worlds, the rate of each verdict and its Monte Carlo standard
    error, and ``false_rate``: the rate of the wrong verdict for that truth
    (supported in null worlds, refuted in worlds with an effect at the margin;
    NaN where the world is an effect larger than the margin, where the
    *supported* rate is the power).
    """
    rng = np.random.default_rng(seed)
    rows = []

    def add(test, kind, truth, effect, vs):
        r = rates(vs)
        wrong = {"null": "supported", "boundary": "refuted"}.get(truth)
        rows.append(
            {
                "test": test,
                "kind": kind,
                "truth": truth,
                "effect": effect,
                "n": n,
                **r,
                "false_rate": r[wrong] if wrong else math.nan,
            }
        )

    improve = dict(support_above=0.0, refute_below=margin, alpha=alpha)
    for kind in ("normal", "skewed", "tied", "tied80"):
        for truth, eff in (("null", 0.0), ("boundary", margin), ("effect", 2.5 * margin)):
            vs = [
                decide(mean_difference(differences(kind, eff, n, rng), **improve), alpha)
                for _ in range(worlds)
            ]
            add("improvement (paired score t)", kind, truth, eff, vs)
    ni = dict(support_above=-margin, refute_below=-margin, alpha=alpha)
    for kind in ("normal", "skewed", "tied"):
        # at −margin both verdicts are wrong half of the truth; report both rates there
        for truth, eff in (("null", -margin), ("boundary", -margin), ("effect", 0.0)):
            vs = [
                decide(mean_difference(differences(kind, eff, n, rng), **ni), alpha)
                for _ in range(worlds)
            ]
            add("non-inferiority (paired score t)", kind, truth, eff, vs)
    eq = dict(support_above=0.0, refute_below=margin, alpha=alpha, two_sided=True)
    for kind in ("normal", "skewed", "tied"):
        for truth, eff in (("null", 0.0), ("boundary", margin), ("effect", 2.5 * margin)):
            vs = [
                decide(mean_difference(differences(kind, eff, n, rng), **eq), alpha)
                for _ in range(worlds)
            ]
            add("difference / equivalence (paired score t, TOST)", kind, truth, eff, vs)
    for kind in ("normal", "tied"):
        for truth, ratio in (("null", 1.0), ("boundary", 1 - std_margin), ("effect", 0.5)):
            vs = []
            for _ in range(worlds):
                x, y = spread_pairs(kind, ratio, n, rng)
                ev = std_ratio(x, y, refute_above=1 - std_margin, alpha=alpha)
                vs.append(decide(ev, alpha))
            add("std ratio (Pitman–Morgan)", kind, truth, ratio, vs)
    return pd.DataFrame(rows)
