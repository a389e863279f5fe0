"""Checks of a whole workflow configuration that its JSON Schema cannot express.

The workflow validates ``config`` against ``workflow/schemas/config.schema.yaml``
(types, ranges, unknown keys, defaults) and then calls :func:`check_config` while
it builds the DAG, so every bad value stops Snakemake before any job runs, with
one message naming the key and what is allowed. ``scripts/tools/check_config.py``
runs the same checks on a file (and reports YAML syntax errors with their file and
line, which Snakemake's own loader does not).

Standard library only (no NumPy, JAX or Qiskit): building the DAG must stay light.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from qhnet.devices.catalog import (
    budget_problem,
    check_backend_name,
    format_plan,
    ibm_credentials_available,
    sampled_plan,
)
from qhnet.engine.ansatze import DEFAULT_ANSATZ, angle_shape
from qhnet.experiments.sweep import (
    check_name_round_trip,
    check_schedule,
    dataset_qubits,
    exact_arms,
    objective_arm,
    resolve_bandwidth,
    sampled_arm,
    schedule_arms,
    seed_batches,
)
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.model.layout import input_dim

#: Images per digits pair in scikit-learn's digits (the training split must leave a test set).
DIGIT_IMAGES = {"digits01": 360, "digits38": 357, "digits01_8x8": 360, "digits38_8x8": 357}


class ConfigError(ValueError):
    """A configuration value that cannot run; the message names the key."""


def _walk(value: Any, key: str):
    """(key path, value) of every leaf, e.g. ``("lambdas[2]", nan)``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _walk(v, f"{key}[{i}]")
    else:
        yield key, value


def _fail(key: str, message: str):
    raise ConfigError(f"config key '{key}': {message}")


def check_finite(config: dict) -> None:
    """No NaN or infinity anywhere (YAML's ``.nan`` / ``.inf`` pass a JSON Schema ``number``)."""
    for key, value in _walk(config, ""):
        if isinstance(value, float) and not math.isfinite(value):
            _fail(key, f"must be a finite number; got {value!r}")


def check_results_dir(path: str) -> None:
    """``results`` names a directory that exists or can be created."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        _fail("results", f"must name a directory; {path!r} is a file")
    parent = next((q for q in [p, *p.parents] if q.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        _fail("results", f"cannot create {path!r}: {str(parent)!r} is not a writable directory")


def check_device(device: dict, n: int, *, used: bool) -> None:
    """The sampled arm's shot source: names, sizes, and credentials for a real IBM device."""
    name, noise, backend = device["name"], device.get("noise"), device.get("backend")
    if noise is not None and name != "qiskit.aer":
        _fail("device.noise", f"is only used with device.name 'qiskit.aer'; got name {name!r}")
    if backend is not None and name != "qiskit.remote":
        _fail(
            "device.backend",
            f"is only used with device.name 'qiskit.remote' (use device.noise with "
            f"'qiskit.aer'); got name {name!r}",
        )
    try:
        if noise is not None:
            check_backend_name(noise, "device.noise", n_qubits=n)
        if backend is not None:
            check_backend_name(backend, "device.backend", n_qubits=n)
    except ValueError as err:
        raise ConfigError(f"config key {err}") from None
    execution = device.get("execution", "job")
    if execution != "job" and name != "qiskit.remote":
        _fail(
            "device.execution",
            f"{execution!r} is a Qiskit Runtime mode, only used with device.name "
            f"'qiskit.remote' (allowed otherwise: 'job'); got name {name!r}",
        )
    real = (name == "qiskit.remote" and not (backend or "").startswith("fake_")) or (
        name == "qiskit.aer" and noise is not None and not noise.startswith("fake_")
    )
    if used and real and not ibm_credentials_available():
        key = "device.backend" if name == "qiskit.remote" else "device.noise"
        what = repr(backend or noise) if (backend or noise) else "the least busy IBM device"
        _fail(
            key,
            f"{what} is a real IBM Quantum backend and no credentials were found: "
            "export QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE), or save an account with "
            "QiskitRuntimeService.save_account; or use a fake_* backend to run offline",
        )


def trainability_datasets(tb: dict, ansatz: str) -> list[str]:
    """The datasets of the trainability study that ``ansatz`` runs on.

    All of ``tb["datasets"]``, or, where ``tb["datasets_by_ansatz"]`` lists the
    ansatz, those of them it names (an intersection, so that a small config
    inheriting the full config's list keeps working).
    """
    only = tb.get("datasets_by_ansatz", {}).get(ansatz)
    return [d for d in tb["datasets"] if only is None or d in only]


#: The factors of the robustness study, in the order of a cell's path and columns.
CELL_KEYS = ("ansatz", "layers", "n_train", "likelihood", "optimizer")


def ablation_settings(sampled: dict) -> list[tuple[str, int]]:
    """The (m, N_qc) settings the SELBO ablation trains: each m of
    ``ablation.prior_samples`` at N_qc = ``shots``, then each N_qc of
    ``ablation.shots`` at m = ``prior_samples``; the sampled arm's own setting,
    trained in the main sweep, is left out. m is a string ("10", "exact")."""
    m0, n0 = str(sampled["prior_samples"]), int(sampled["shots"])
    ab = sampled["ablation"]
    out = [(str(m), n0) for m in ab["prior_samples"] if str(m) != m0]
    out += [(m0, int(n)) for n in ab["shots"] if int(n) != n0]
    return out


def robustness_cells(rb: dict) -> list[dict]:
    """The cells of the robustness study: dicts over ``CELL_KEYS``, base first.

    ``one_at_a_time``: the base, then for each factor each value of ``vary`` that
    differs from the base, the other factors at base. ``full``: every combination
    of the base and the listed values (the base value first in each factor).
    """
    base = {k: rb["base"][k] for k in CELL_KEYS}
    values = {k: [base[k], *[v for v in rb["vary"].get(k, []) if v != base[k]]] for k in CELL_KEYS}
    if rb["design"] == "full":
        cells = [{}]
        for k in CELL_KEYS:
            cells = [{**c, k: v} for c in cells for v in values[k]]
        return cells
    cells = [base]
    for k in CELL_KEYS:
        cells += [{**base, k: v} for v in values[k][1:]]
    return cells


def cell_path(cell: dict) -> str:
    """A cell as a path: ``{ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}``."""
    return "{ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}".format(**cell)


def check_config(config: dict) -> None:
    """Every cross-key rule of a (schema-validated, defaults-filled) configuration.

    Raises
    ------
    ConfigError
        The first problem found, as ``config key '<key>': <what is wrong and what
        is allowed>``.
    """
    check_finite(config)
    check_results_dir(config["results"])
    tb = config["trainability"]
    for ansatz in tb["ansatze"]:
        if not trainability_datasets(tb, ansatz):
            _fail(
                f"trainability.datasets_by_ansatz.{ansatz}",
                f"leaves {ansatz} no dataset of the study; name at least one of {tb['datasets']}",
            )
    used = list(config["datasets"]) + [
        d for d in (tb["datasets"] if tb["enabled"] else []) if d not in config["datasets"]
    ]
    sizes = {}
    for d in used:
        sizes[d] = dataset_qubits(config["model"], d)
        if sizes[d] > MAX_EXACT_QUBITS:
            key = "model.hidden" if input_dim(d) == 2 else "model.digits_hidden"
            _fail(
                key,
                f"gives {sizes[d]} qubits on {d}; exact mode allows at most {MAX_EXACT_QUBITS} "
                "(larger BiNNs: the scale study, scale.problems in config/scale.yaml)",
            )
        if d in DIGIT_IMAGES and config["data"]["n_train"] >= DIGIT_IMAGES[d]:
            _fail(
                "data.n_train",
                f"must be < {DIGIT_IMAGES[d]} (the images of {d}, so that a test set is left); "
                f"got {config['data']['n_train']}",
            )
    rb = config["robustness"]
    if rb["enabled"]:
        n_trains = sorted({c["n_train"] for c in robustness_cells(rb)})
        for d in config["datasets"]:
            if d in DIGIT_IMAGES and n_trains[-1] >= DIGIT_IMAGES[d]:
                _fail(
                    "robustness.vary.n_train",
                    f"must be < {DIGIT_IMAGES[d]} (the images of {d}, so that a test set is "
                    f"left); got {n_trains[-1]}",
                )
        for i, sched in enumerate(rb["schedules"]):
            key = f"robustness.schedules[{i}]"
            for end in ("start", "end"):
                try:
                    check_name_round_trip(sched[end], f"{key}.{end}")
                except ValueError as err:
                    raise ConfigError(f"config key {err}") from None
            try:
                check_schedule(sched["kind"], sched["start"], sched["end"])
            except ValueError as err:
                _fail(key, str(err))
        if rb["schedules"] and config["data"]["n_val"] == 0:
            _fail(
                "data.n_val",
                "must be > 0 when robustness.schedules is set: the schedules are compared "
                "with a λ chosen on the validation split (e.g. data.n_val: 200)",
            )
        try:
            schedule_arms(config["objectives"], rb["schedules"], config["bandwidths"], 2)
        except ValueError as err:
            _fail("robustness.schedules", str(err))
    main_sizes = sorted({sizes[d] for d in config["datasets"]})
    n = main_sizes[-1]
    seeds = config["seeds"]
    named = [(f"lambdas[{i}]", v) for i, v in enumerate(config["lambdas"])]
    named += [(f"bandwidths[{i}]", v) for i, v in enumerate(config["bandwidths"])]
    named += [
        ("sampled.lam", config["sampled"]["lam"]),
        ("sampled.bandwidth", config["sampled"]["bandwidth"]),
    ]
    for key, value in named:
        if not isinstance(value, str):
            try:
                check_name_round_trip(value, key)
            except ValueError as err:
                raise ConfigError(f"config key {err}") from None

    # the exact grid: names and resolved bandwidths must be distinct
    try:
        arms = exact_arms(config["objectives"], config["lambdas"], config["bandwidths"], n)
    except ValueError as err:
        _fail("objectives/lambdas/bandwidths", str(err))
    for size in main_sizes:
        resolved: dict[float, Any] = {}
        for spec in config["bandwidths"]:
            h, _ = resolve_bandwidth(spec, size)
            key = round(h, 12)
            if key in resolved:
                _fail(
                    "bandwidths",
                    f"{resolved[key]!r} and {spec!r} both give h = {h:g} at n = {size}: the "
                    "same SELBO arm would be trained twice under two names; keep one",
                )
            resolved[key] = spec

    bl = config["baselines"]
    if bl["enabled"]:
        if bl["t_end"] > bl["t_start"]:
            _fail(
                "baselines.t_end",
                f"must be <= baselines.t_start ({bl['t_start']}); got {bl['t_end']}",
            )
        trained = {a.arm for a in arms}
        for i, lam in enumerate(bl["lams"]):
            arm = objective_arm(lam)
            if arm not in trained:
                _fail(
                    f"baselines.lams[{i}]",
                    f"{lam:g} needs the circuit's arm {arm!r} to compare with, which the sweep "
                    f"does not train; allowed: 0 (with mle in objectives) or a lambda of "
                    f"lambdas with elbo in objectives: {config['lambdas']}",
                )

    tr = config["training"]
    if tr["min_steps"] > tr["max_steps"]:
        _fail(
            "training.min_steps",
            f"must be <= training.max_steps ({tr['max_steps']}); got {tr['min_steps']}",
        )
    lb = tr["lbfgs"]
    if lb["min_steps"] > lb["max_steps"]:
        _fail(
            "training.lbfgs.min_steps",
            f"must be <= training.lbfgs.max_steps ({lb['max_steps']}); got {lb['min_steps']}",
        )
    if tr["optimizer"] not in config["optimizers"]:
        _fail(
            "training.optimizer",
            f"must be one of optimizers {config['optimizers']} (the landscape slices and the "
            f"noise study use its runs); got {tr['optimizer']!r}",
        )
    try:
        seed_batches(seeds, tr["seeds_per_job"])
    except ValueError as err:
        _fail("seeds", str(err))

    _check_landscape(config, arms, n)

    sp = config["sampled"]
    if sp["enabled"]:
        for obj in sp["objectives"]:
            try:
                arm = sampled_arm(obj, sp["lam"], sp["bandwidth"], n)
            except ValueError as err:
                _fail("sampled.objectives", str(err))
            twin = [
                a
                for a in arms
                if a.objective == arm.objective
                and (arm.lam is None or a.lam == arm.lam)
                and (arm.h is None or abs(a.h - arm.h) < 1e-12)
            ]
            if not twin:
                if obj not in config["objectives"]:
                    _fail(
                        "sampled.objectives",
                        f"{obj!r} is trained from shots but not in objectives "
                        f"{config['objectives']}: the sampled arm is compared with its exact twin",
                    )
                if arm.lam not in [float(x) for x in config["lambdas"]]:
                    _fail(
                        "sampled.lam",
                        f"must be one of lambdas {config['lambdas']} (the sampled arm is "
                        f"compared with the exact arm of the same λ and h); got {sp['lam']!r}",
                    )
                _fail(
                    "sampled.bandwidth",
                    f"must be one of bandwidths {config['bandwidths']} (the sampled arm is "
                    f"compared with the exact arm of the same λ and h); got {sp['bandwidth']!r}",
                )
        try:
            seed_batches(seeds, sp["seeds_per_job"])
        except ValueError as err:
            _fail("sampled.seeds_per_job", str(err))
    ab = sp["ablation"]
    if ab["enabled"] and not (sp["enabled"] and "selbo" in sp["objectives"]):
        _fail(
            "sampled.ablation.enabled",
            "the ablation varies the sampled SELBO arm: it needs sampled.enabled true and "
            "'selbo' in sampled.objectives",
        )
    check_device(config["device"], n, used=sp["enabled"])
    plan = hardware_plan(config)
    if plan is not None:
        dev = config["device"]
        problem = budget_problem(plan, dev["max_jobs"], dev["max_shots"])
        if problem:
            _fail(*problem)

    ns = config["noise_study"]
    if ns["enabled"]:
        for i, b in enumerate(ns["backends"]):
            try:
                check_backend_name(b, f"noise_study.backends[{i}]", n_qubits=n)
            except ValueError as err:
                raise ConfigError(f"config key {err}") from None
        if ns["runs_per_arm"] > len(seeds):
            _fail(
                "noise_study.runs_per_arm",
                f"must be <= the number of seeds ({len(seeds)}); got {ns['runs_per_arm']}",
            )

    _check_scale(config)


def scale_problems(scale: dict) -> list[dict]:
    """The scale study's problems: dataset, hidden, bits n and path ``<dataset>/h<hidden>``."""
    out = []
    for p in scale["problems"]:
        n = (input_dim(p["dataset"]) + 2) * int(p["hidden"]) + 2
        out.append({**p, "n": n, "path": f"{p['dataset']}/h{p['hidden']}"})
    return out


def _check_scale(config: dict) -> None:
    sc = config["scale"]
    if not sc["enabled"]:
        return
    if config["robustness"]["enabled"]:
        _fail("scale.enabled", "the scale and robustness studies are separate runs; enable one")
    paths = [p["path"] for p in scale_problems(sc)]
    if len(set(paths)) != len(paths):
        _fail("scale.problems", f"lists a problem twice: {paths}")
    for i, p in enumerate(sc["problems"]):
        limit = DIGIT_IMAGES.get(p["dataset"])
        if limit is not None and config["data"]["n_train"] >= limit:
            _fail(
                f"scale.problems[{i}].dataset",
                f"{p['dataset']} has {limit} images: data.n_train must be below that",
            )
    names = [a["name"] for a in sc["arms"]]
    if len(set(names)) != len(names):
        _fail("scale.arms", f"names an arm twice: {names}")
    for i, a in enumerate(sc["arms"]):
        key = f"scale.arms[{i}]"
        if a["method"] == "straight_through":
            extra = sorted(set(a) & {"objective", "lam", "h"})
            if extra:
                _fail(f"{key}.{extra[0]}", "straight_through trains no objective; remove it")
            continue
        if "objective" not in a:
            _fail(f"{key}.objective", "required for circuit and mean_field: mle, selbo or elbo")
        obj = a["objective"]
        need = {"mle": (), "elbo": ("lam",), "selbo": ("lam", "h")}[obj]
        for k in need:
            if k not in a:
                _fail(f"{key}.{k}", f"required for objective {obj!r}")
        for k in sorted(set(a) & {"lam", "h"} - set(need)):
            _fail(f"{key}.{k}", f"objective {obj!r} has no {k}; remove it")
        if obj == "elbo" and sc["gradient"] == "shift":
            _fail(
                f"{key}.objective",
                "elbo needs scale.gradient 'score' (shots give no entropy); use selbo, or "
                "gradient score",
            )


def hardware_plan(config: dict) -> dict | None:
    """The sampled arm's jobs, circuits and shots on ``qiskit.remote`` (None otherwise).

    Known from the configuration alone (``qhnet.devices.catalog.sampled_plan``):
    datasets × sampled objectives × seeds runs of ``sampled.max_steps`` steps. The
    workflow prints it while it builds the DAG (so ``snakemake -n`` shows it) and
    refuses a plan above ``device.max_jobs`` / ``device.max_shots``.
    """
    sp = config["sampled"]
    if not sp["enabled"] or config["device"]["name"] != "qiskit.remote":
        return None
    ansatz = config["model"].get("ansatz", DEFAULT_ANSATZ)
    runs = len(sp["objectives"]) * len(config["seeds"])
    plans = [
        sampled_plan(
            runs,
            sp["max_steps"],
            math.prod(
                angle_shape(ansatz, dataset_qubits(config["model"], d), config["model"]["layers"])
            ),
            sp["shots"],
        )
        for d in config["datasets"]
    ]
    total = {k: sum(p[k] for p in plans) for k in ("runs", "jobs", "circuits", "shots")}
    total.update({k: max(p[k] for p in plans) for k in ("jobs_per_run", "circuits_per_step")})
    return total


def describe_hardware_plan(config: dict) -> str | None:
    """``format_plan`` of ``hardware_plan`` (None when the sampled arm is not on IBM's path)."""
    plan = hardware_plan(config)
    return None if plan is None else format_plan(plan)


def roughness_seeds(config: dict) -> list[int]:
    """The seeds of the roughness study: ``landscape.roughness.seeds``, else the first five."""
    seeds = config["landscape"].get("roughness", {}).get("seeds")
    return list(seeds) if seeds else list(config["seeds"][:5])


def _check_landscape(config: dict, arms, n: int) -> None:
    ls = config["landscape"]
    if ls["seed"] not in config["seeds"]:
        _fail("landscape.seed", f"must be one of seeds {config['seeds']}; got {ls['seed']!r}")
    rough = ls.get("roughness", {})
    bad = [s for s in rough.get("seeds") or [] if s not in config["seeds"]]
    if bad:
        _fail("landscape.roughness.seeds", f"must be among seeds {config['seeds']}; got {bad}")
    if "elbo" in config["objectives"]:
        lams = [float(x) for x in config["lambdas"]]
        bad = [x for x in rough.get("elbo_lams", []) if float(x) not in lams]
        if bad:
            _fail(
                "landscape.roughness.elbo_lams",
                f"must be among lambdas {config['lambdas']}; got {bad}",
            )
    objectives = config["objectives"]
    if "elbo" in objectives and not any(
        a.objective == "elbo" and a.lam == float(ls["elbo_lam"]) for a in arms
    ):
        _fail(
            "landscape.elbo_lam",
            f"must be one of lambdas {config['lambdas']}; got {ls['elbo_lam']!r}",
        )
    if "selbo" in objectives:
        h, _ = resolve_bandwidth(ls["selbo_bandwidth"], n)
        if not any(
            a.objective == "selbo" and a.lam == float(ls["selbo_lam"]) and abs(a.h - h) < 1e-12
            for a in arms
        ):
            _fail(
                "landscape.selbo_lam/selbo_bandwidth",
                f"must name a trained SELBO arm (λ in lambdas {config['lambdas']}, h in "
                f"bandwidths {config['bandwidths']}); got λ = {ls['selbo_lam']!r}, "
                f"h = {ls['selbo_bandwidth']!r}",
            )
