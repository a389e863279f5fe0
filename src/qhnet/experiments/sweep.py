"""The sweep's grid: which (objective, λ, h) arms exist and how seeds are batched.

Plain Python shared by the Snakemake workflow and the scripts, so the grid is
defined once and tested without Snakemake. MLE has no λ and no h, ELBO has no h:
meaningless combinations are never produced.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from qhnet.model.layout import input_dim, n_bits
from qhnet.validation import check_choice, check_int, check_number, check_seeds, is_number

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
    #: "" (λ fixed) or a λ schedule of :data:`SCHEDULES`, annealing λ from ``lam`` to ``lam_end``
    schedule: str = ""
    lam_end: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_bandwidth(spec, n: int) -> tuple[float, str]:
    """A bandwidth spec (a number > 0, "sqrt(n)" or "n/4") → (value, label)."""
    allowed = ", ".join(map(repr, BANDWIDTH_EXPRESSIONS))
    if isinstance(spec, str):
        if spec not in BANDWIDTH_EXPRESSIONS:
            raise ValueError(f"bandwidth must be a number > 0 or one of {allowed}; got {spec!r}")
        return float(BANDWIDTH_EXPRESSIONS[spec](n)), spec
    if not is_number(spec):
        raise ValueError(f"bandwidth must be a number > 0 or one of {allowed}; got {spec!r}")
    check_number(spec, "bandwidth", minimum=0, include_min=False)
    return float(spec), f"{spec:g}"


def _num(x: float) -> str:
    return f"{x:g}"


_SLUGS = {"sqrt(n)": "sqrtn", "n/4": "n4"}
#: λ schedules of the exact trainer (``training.train``'s ``schedule``) and their slugs in arm names
SCHEDULES = {"linear": "lin", "exponential": "exp"}
_ARM_RE = re.compile(
    r"^(?P<objective>mle|elbo|selbo)(?:-(?P<mode>sampled))?"
    r"(?:_lam(?P<lam>[0-9.e+-]+))?(?:_(?P<sched>lin|exp)(?P<lam_end>[0-9.e+-]+))?"
    r"(?:_h(?P<h>[a-z0-9.e+-]+))?$"
)


def _h_slug(label: str) -> str:
    return _SLUGS.get(label, label)


def check_name_round_trip(value: float, key: str) -> None:
    """λ and numeric h appear in arm names as ``f"{x:g}"``: they must read back exactly."""
    if float(f"{value:g}") != float(value):
        raise ValueError(
            f"{key} = {value!r} has more than 6 significant digits; arm names (and so "
            f"result paths) write it as {value:g}: use at most 6 significant digits"
        )


def parse_arm_name(name: str) -> dict:
    """Objective, mode, λ and h label an arm name spells, without resolving h.

    ``{"objective", "mode", "lam" (float or None), "h_label"}``; the label is
    ``"sqrt(n)"``, ``"n/4"``, a number as written, or ``""``.

    Raises
    ------
    ValueError
        If ``name`` is not of the form of :func:`arm_name`.
    """
    m = _ARM_RE.match(str(name))
    if m is None:
        raise ValueError(
            f"arm must be of the form mle, elbo_lam<λ>, selbo_lam<λ>_h<h> (h a number, "
            f"sqrtn or n4; '-sampled' after the objective for sampled mode; _lin<λ_end> or "
            f"_exp<λ_end> after the λ for a schedule); got {name!r}"
        )
    h = m["h"] or ""
    return {
        "objective": m["objective"],
        "mode": m["mode"] or "exact",
        "lam": float(m["lam"]) if m["lam"] else None,
        "h_label": {v: k for k, v in _SLUGS.items()}.get(h, h),
        "schedule": {v: k for k, v in SCHEDULES.items()}.get(m["sched"], ""),
        "lam_end": float(m["lam_end"]) if m["lam_end"] else None,
    }


def arm_from_name(name: str, n: int) -> Arm:
    """The arm an ``arm_name`` stands for (the inverse of :func:`arm_name`), at n qubits.

    Raises
    ------
    ValueError
        If ``name`` is not of the form ``mle``, ``elbo_lam{λ}``,
        ``selbo_lam{λ}_h{h}`` (h a number, ``sqrtn`` or ``n4``), optionally with
        ``-sampled`` after the objective or a schedule (``_lin{λ_end}``,
        ``_exp{λ_end}``) after the λ of an exact arm.
    """
    p = parse_arm_name(name)
    m = _ARM_RE.match(str(name))
    objective, mode = m["objective"], m["mode"] or "exact"
    need_lam, need_h = objective != "mle", objective == "selbo"
    if need_lam != (m["lam"] is not None) or need_h != (m["h"] is not None):
        raise ValueError(
            f"arm {name!r}: {objective} takes "
            + {"mle": "no λ and no h", "elbo": "a λ and no h", "selbo": "a λ and an h"}[objective]
        )
    lam = check_number(float(m["lam"]), "λ", minimum=0) if need_lam else None
    h, label = (None, "")
    if need_h:
        slug = {v: k for k, v in _SLUGS.items()}.get(m["h"])
        try:
            spec = slug if slug else float(m["h"])
        except ValueError:
            raise ValueError(
                f"arm {name!r}: h must be a number, sqrtn or n4; got {m['h']!r}"
            ) from None
        h, label = resolve_bandwidth(spec, n)
    schedule, lam_end = p["schedule"], p["lam_end"]
    if schedule:
        if mode != "exact" or objective == "mle":
            raise ValueError(f"arm {name!r}: λ schedules are for exact-mode ELBO and SELBO only")
        lam_end = check_schedule(schedule, lam, lam_end)[2]
    arm = Arm(name, objective, mode, lam, h, label, schedule, lam_end)
    canonical = arm_name(objective, mode, lam, label, schedule, lam_end)
    if canonical != name:
        raise ValueError(f"arm {name!r} is not in canonical form ({canonical!r})")
    return arm


def check_schedule(kind: str, lam_start, lam_end) -> tuple[str, float, float]:
    """A λ schedule (kind, start, end): a kind of :data:`SCHEDULES`, 0 < end < start.

    Raises
    ------
    ValueError
        Naming the kind, start or end that is not allowed.
    """
    kind = check_choice(kind, "schedule", tuple(SCHEDULES))
    start = check_number(lam_start, "schedule start λ", minimum=0, include_min=False)
    end = check_number(lam_end, "schedule end λ", minimum=0, include_min=False)
    if not end < start:
        raise ValueError(
            f"a λ schedule anneals from a large λ to a small one: end λ must be < start λ; "
            f"got start {start:g}, end {end:g}"
        )
    return kind, float(start), float(end)


def arm_name(
    objective: str,
    mode: str,
    lam: float | None,
    h_label: str,
    schedule: str = "",
    lam_end: float | None = None,
) -> str:
    """File-system-safe arm name: mle, elbo_lam1, selbo_lam10_hn4, selbo-sampled_lam10_hn4,
    elbo_lam1000_exp0.1 (λ annealed exponentially from 1000 to 0.1)."""
    head = objective if mode == "exact" else f"{objective}-{mode}"
    if objective == "mle":
        return head
    name = f"{head}_lam{_num(lam)}"
    if schedule:
        name += f"_{SCHEDULES[schedule]}{_num(lam_end)}"
    if objective == "selbo":
        name += f"_h{_h_slug(h_label)}"
    return name


def objective_arm(lam: float) -> str:
    """The exact arm a mean-field baseline at λ sits beside: ``mle`` (λ = 0) or ``elbo_lam<λ>``."""
    return arm_name("mle", "exact", None, "") if lam == 0 else arm_name("elbo", "exact", lam, "")


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
            check_choice(obj, "objective", ("mle", "elbo", "selbo"))
    names = [a.arm for a in arms]
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise ValueError(
            f"the grid has duplicate arms {dup}: remove repeated λ or bandwidth values"
        )
    return arms


def schedule_arms(objectives, schedules, bandwidths, n: int) -> list[Arm]:
    """Exact ELBO and SELBO (per h) arms under each λ schedule ``{kind, start, end}``."""
    arms = []
    for sched in schedules:
        kind, start, end = check_schedule(sched["kind"], sched["start"], sched["end"])
        for obj in objectives:
            if obj == "elbo":
                arms.append(
                    Arm(
                        arm_name("elbo", "exact", start, "", kind, end),
                        "elbo",
                        "exact",
                        start,
                        None,
                        "",
                        kind,
                        end,
                    )  # fmt: skip
                )
            elif obj == "selbo":
                for spec in bandwidths:
                    h, label = resolve_bandwidth(spec, n)
                    name = arm_name("selbo", "exact", start, label, kind, end)
                    arms.append(Arm(name, "selbo", "exact", start, h, label, kind, end))
    names = [a.arm for a in arms]
    if len(set(names)) != len(names):
        raise ValueError("schedules: two schedules give the same arm; remove the repeated one")
    return arms


def arm_group(arm: Arm) -> str:
    """The training job an exact arm is trained in: ``mle``, ``elbo``, ``selbo_h<h>``,
    or ``elbo_sched`` / ``selbo_sched_h<h>`` for λ schedules.

    One job trains every λ of one objective (and of one bandwidth for SELBO), so
    imports, compilation and the predictive matrices are paid once per group;
    λ and h (and a schedule's start and end) are traced arguments, so the arms
    share one executable.
    """
    if arm.mode != "exact":
        raise ValueError(f"only exact-mode arms are grouped; got {arm.arm!r}")
    head = arm.objective + ("_sched" if arm.schedule else "")
    if arm.objective == "selbo":
        return f"{head}_h{_h_slug(arm.h_label)}"
    return head


def arm_groups(arms) -> dict[str, list[Arm]]:
    """Exact arms by :func:`arm_group`; groups and the arms within keep the grid's order."""
    out: dict[str, list[Arm]] = {}
    for a in arms:
        out.setdefault(arm_group(a), []).append(a)
    return out


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


def dataset_hidden(model: dict, dataset: str) -> int:
    """Hidden units of ``dataset``'s BiNN: ``model.hidden`` (2-D) or ``model.digits_hidden``."""
    return int(model["hidden"] if input_dim(dataset) == 2 else model["digits_hidden"])


def dataset_qubits(model: dict, dataset: str) -> int:
    """Qubits (bits of the BiNN) of ``dataset`` under the ``model`` config section."""
    return n_bits(dataset_hidden(model, dataset), input_dim(dataset))


def seed_batches(seeds, per_job: int) -> dict[str, list[int]]:
    """Split seeds into jobs of at most ``per_job``; keys like "s0-9" name the batch."""
    seeds = check_seeds(seeds)
    per_job = check_int(per_job, "seeds_per_job", minimum=1)
    out = {}
    for i in range(0, len(seeds), per_job):
        chunk = seeds[i : i + per_job]
        out[f"s{chunk[0]}-{chunk[-1]}"] = chunk
    return out


def landscape_arms(arms: list[Arm], objectives, landscape: dict, n: int) -> list[Arm]:
    """The arms whose trained angles centre the landscape slices: MLE, ELBO at
    ``landscape.elbo_lam`` and SELBO at (``selbo_lam``, ``selbo_bandwidth``), each
    where its objective is in the sweep (``config.check_config`` guarantees they exist).
    """
    want = {
        "mle": (None, None),
        "elbo": (float(landscape["elbo_lam"]), None),
        "selbo": (
            float(landscape["selbo_lam"]),
            resolve_bandwidth(landscape["selbo_bandwidth"], n)[0],
        ),
    }
    found = []
    for obj, (lam, h) in want.items():
        if obj not in objectives:
            continue
        match = [
            a
            for a in arms
            if a.objective == obj
            and (lam is None or a.lam == lam)
            and (h is None or abs(a.h - h) < 1e-12)
        ]
        if not match:
            raise ValueError(f"landscape: no trained {obj} arm with λ = {lam}, h = {h}")
        found.append(match[0])
    return found
