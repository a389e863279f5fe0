"""The sweep's grid: which (objective, λ, h) arms exist and how seeds are batched.

Plain Python shared by the Snakemake workflow and the scripts, so the grid is
defined once and tested without Snakemake. MLE has no λ and no h, ELBO has no h:
meaningless combinations are never produced.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

BANDWIDTH_EXPRESSIONS = {"sqrt(n)": lambda n: math.sqrt(n), "n/4": lambda n: n / 4}


@dataclass(frozen=True)
class Arm:
    """One training configuration, named by ``arm`` in every path and table."""

    arm: str
    objective: str
    mode: str  # "exact" or "sampled"
    lam: float | None
    h: float | None
    h_label: str

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_bandwidth(spec, n: int) -> tuple[float, str]:
    """A bandwidth spec (a number > 0, "sqrt(n)" or "n/4") → (value, label)."""
    if isinstance(spec, str):
        if spec not in BANDWIDTH_EXPRESSIONS:
            allowed = ", ".join(map(repr, BANDWIDTH_EXPRESSIONS))
            raise ValueError(f"bandwidth must be a number > 0 or one of {allowed}; got {spec!r}")
        return float(BANDWIDTH_EXPRESSIONS[spec](n)), spec
    if isinstance(spec, bool) or not isinstance(spec, (int, float)) or not spec > 0:
        raise ValueError(f"bandwidth must be a number > 0 or 'sqrt(n)', 'n/4'; got {spec!r}")
    return float(spec), f"{spec:g}"


def _num(x: float) -> str:
    return f"{x:g}"


def _h_slug(label: str) -> str:
    return label.replace("sqrt(n)", "sqrtn").replace("n/4", "n4")


def arm_name(objective: str, mode: str, lam: float | None, h_label: str) -> str:
    """File-system-safe arm name: mle, elbo_lam1, selbo_lam10_hn4, selbo-sampled_lam10_hn4."""
    head = objective if mode == "exact" else f"{objective}-{mode}"
    if objective == "mle":
        return head
    name = f"{head}_lam{_num(lam)}"
    if objective == "selbo":
        name += f"_h{_h_slug(h_label)}"
    return name


def exact_arms(objectives, lambdas, bandwidths, n: int) -> list[Arm]:
    """The exact-mode grid: MLE once, ELBO per λ, SELBO per λ × h."""
    arms = []
    for obj in objectives:
        if obj == "mle":
            arms.append(Arm("mle", "mle", "exact", None, None, ""))
        elif obj == "elbo":
            for lam in lambdas:
                arms.append(
                    Arm(arm_name("elbo", "exact", lam, ""), "elbo", "exact", float(lam), None, "")
                )
        elif obj == "selbo":
            for lam in lambdas:
                for spec in bandwidths:
                    h, label = resolve_bandwidth(spec, n)
                    name = arm_name("selbo", "exact", lam, label)
                    arms.append(Arm(name, "selbo", "exact", float(lam), h, label))
        else:
            raise ValueError(f"objective must be one of 'mle', 'elbo', 'selbo'; got {obj!r}")
    names = [a.arm for a in arms]
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise ValueError(
            f"the grid has duplicate arms {dup}: remove repeated λ or bandwidth values"
        )
    return arms


def sampled_arm(objective: str, lam: float | None, bandwidth, n: int) -> Arm:
    """One sampled-mode arm (MLE or SELBO; ELBO needs the entropy, so it is refused)."""
    if objective not in ("mle", "selbo"):
        raise ValueError(
            f"sampled mode objective must be 'mle' or 'selbo' (ELBO needs the exact entropy); "
            f"got {objective!r}"
        )
    if objective == "mle":
        return Arm("mle-sampled", "mle", "sampled", None, None, "")
    h, label = resolve_bandwidth(bandwidth, n)
    return Arm(arm_name("selbo", "sampled", lam, label), "selbo", "sampled", float(lam), h, label)


def seed_batches(seeds, per_job: int) -> dict[str, list[int]]:
    """Split seeds into jobs of at most ``per_job``; keys like "s0-9" name the batch."""
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list")
    if per_job < 1:
        raise ValueError(f"seeds_per_job must be >= 1; got {per_job}")
    out = {}
    for i in range(0, len(seeds), per_job):
        chunk = seeds[i : i + per_job]
        out[f"s{chunk[0]}-{chunk[-1]}"] = chunk
    return out
