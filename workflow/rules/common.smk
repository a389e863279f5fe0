# Shared definitions: the grid of arms and seed batches (from qhnet.sweep), the
# cross-key checks the schema cannot express, and path helpers.

import json
from pathlib import Path
import re

from qhnet.binn import n_bits
from qhnet.devices import check_device
from qhnet.sweep import exact_arms, resolve_bandwidth, sampled_arm, seed_batches

SCRIPTS = Path(workflow.basedir).parent / "scripts"
RESULTS = config["results"].rstrip("/")
N_QUBITS = n_bits(config["model"]["hidden"])
if N_QUBITS > 22:
    raise ValueError(
        f"model.hidden gives {N_QUBITS} qubits; exact mode allows at most 22"
    )

ARMS = {
    a.arm: a
    for a in exact_arms(
        config["objectives"], config["lambdas"], config["bandwidths"], N_QUBITS
    )
}
BATCHES = seed_batches(config["seeds"], config["training"]["seeds_per_job"])

# The sampled (shots-only) arm and its device, checked offline before any job.
SAMPLED = config["sampled"]
DEVICE = config["device"]
SAMPLED_ARMS = {}
if SAMPLED["enabled"]:
    if DEVICE["name"] != "simulated":
        try:
            check_device(
                DEVICE["name"], noise=DEVICE["noise"], backend=DEVICE["backend"]
            )
        except ValueError as err:
            raise ValueError(f"device: {err}") from None
        backend = DEVICE["backend"] or ""
        if DEVICE["name"] == "qiskit.remote" and backend.startswith("fake_"):
            from qhnet.devices import fake_backend

            size = fake_backend(backend).num_qubits
            if size < N_QUBITS:
                raise ValueError(
                    f"device.backend {backend!r} has {size} qubits; the circuit needs "
                    f"{N_QUBITS} (model.hidden = {config['model']['hidden']})"
                )
    elif DEVICE["noise"] or DEVICE["backend"]:
        raise ValueError(
            "device.noise / device.backend need device.name 'qiskit.aer' / 'qiskit.remote'; "
            "got device.name 'simulated'"
        )
    for obj in SAMPLED["objectives"]:
        a = sampled_arm(obj, SAMPLED["lam"], SAMPLED["bandwidth"], N_QUBITS)
        SAMPLED_ARMS[a.arm] = a
SAMPLED_BATCHES = seed_batches(config["seeds"], SAMPLED["seeds_per_job"])
REMOTE = SAMPLED["enabled"] and DEVICE["name"] == "qiskit.remote"

NOISE = config["noise_study"]
if NOISE["enabled"]:
    for b in NOISE["backends"]:
        try:
            check_device("qiskit.aer", noise=b)
        except ValueError as err:
            raise ValueError(f"noise_study.backends: {err}") from None
SEED_BATCH = {s: b for b, seeds in BATCHES.items() for s in seeds}


def _landscape_arms():
    """The three arms whose trained angles centre the landscape slices."""
    ls = config["landscape"]
    if ls["seed"] not in SEED_BATCH:
        raise ValueError(
            f"landscape.seed must be one of seeds {config['seeds']}; got {ls['seed']}"
        )
    want = {"mle": ("mle", None, None), "elbo": ("elbo", ls["elbo_lam"], None)}
    want["selbo"] = ("selbo", ls["selbo_lam"], ls["selbo_bandwidth"])
    found = []
    for obj, lam, bw in want.values():
        if obj not in config["objectives"]:
            continue
        h = resolve_bandwidth(bw, N_QUBITS)[0] if bw is not None else None
        match = [
            a
            for a in ARMS.values()
            if a.objective == obj
            and (lam is None or a.lam == float(lam))
            and (h is None or abs(a.h - h) < 1e-12)
        ]
        if not match:
            key = (
                "landscape.elbo_lam"
                if obj == "elbo"
                else "landscape.selbo_lam/selbo_bandwidth"
            )
            raise ValueError(
                f"{key} must name a trained {obj} arm (λ in lambdas {config['lambdas']}, "
                f"h in bandwidths {config['bandwidths']})"
            )
        found.append(match[0])
    return found


LANDSCAPE_ARMS = _landscape_arms()


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    arm="|".join(re.escape(a) for a in sorted(ARMS, key=len, reverse=True)),
    sarm="|".join(re.escape(a) for a in sorted(SAMPLED_ARMS, key=len, reverse=True))
    or "NONE",
    batch=r"s\d+-\d+",


def res(path):
    return f"{RESULTS}/{path}"


def logs(path):
    return f"{RESULTS}/logs/{path}"


def arm_json(wildcards):
    return json.dumps(ARMS[wildcards.arm].as_dict())


def run_files(kind):
    """Every training output of one kind ("metrics" or "trajectory"), both modes."""
    exact = [
        res(f"runs/{d}/{a}/{b}.{kind}.parquet")
        for d in config["datasets"]
        for a in ARMS
        for b in BATCHES
    ]
    sampled = [
        res(f"runs/{d}/{a}/{b}.{kind}.parquet")
        for d in config["datasets"]
        for a in SAMPLED_ARMS
        for b in SAMPLED_BATCHES
    ]
    return exact + sampled


FIGURES = [
    "accuracy_distributions",
    "accuracy_vs_lambda",
    "selbo_bandwidth",
    "landscapes",
    "training_curves",
]
if SAMPLED_ARMS:
    FIGURES.append("sampled_vs_exact")
if NOISE["enabled"]:
    FIGURES.append("noise")


def optional_tables():
    return {"noise": res("tables/noise.csv")} if NOISE["enabled"] else {}


def all_outputs():
    return [
        res("tables/runs.parquet"),
        res("tables/variance.csv"),
        res("tables/landscape.csv"),
        res("tables/claims.csv"),
        *optional_tables().values(),
        *[res(f"figures/{f}.png") for f in FIGURES],
        res("report/report.html"),
    ]
