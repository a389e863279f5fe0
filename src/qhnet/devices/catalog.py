"""Names the configuration may use for devices and fake IBM backends, without Qiskit.

Standard library only: the workflow checks a configuration against these while it
builds the DAG (before any job runs), and building the DAG must not import Qiskit.
``FAKE_BACKEND_QUBITS`` is the fake backends of ``qiskit_ibm_runtime.fake_provider``
(qiskit-ibm-runtime 0.45) with their qubit counts; ``tests/test_devices.py`` keeps it
equal to the installed provider, so an upgrade that adds or drops one fails a test
rather than a job.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Where the sampled arm can get its shots: ``simulated`` (exact probabilities and
#: multinomial sampling) or a PennyLane device.
DEVICES = ("default.qubit", "lightning.qubit", "qiskit.aer", "qiskit.remote")
SHOT_SOURCES = ("simulated", *DEVICES)

#: Qiskit Runtime execution modes (``device.execution``): one job per primitive
#: call, a ``Batch`` or a ``Session`` (IBM's Open Plan cannot open sessions).
EXECUTION_MODES = ("job", "batch", "session")

#: The IBM Quantum channel (``ibm_quantum`` is refused by qiskit-ibm-runtime 0.45).
IBM_CHANNEL = "ibm_quantum_platform"

#: Form of a real IBM backend name (checked for form only: the list changes).
IBM_NAME = re.compile(r"^ibmq?_[a-z0-9_]+$")

FAKE_BACKEND_QUBITS = {
    "fake_algiers": 27,
    "fake_almaden": 20,
    "fake_armonk": 1,
    "fake_athens": 5,
    "fake_auckland": 27,
    "fake_belem": 5,
    "fake_boeblingen": 20,
    "fake_bogota": 5,
    "fake_brisbane": 127,
    "fake_brooklyn": 65,
    "fake_burlington": 5,
    "fake_cairo": 27,
    "fake_cambridge": 28,
    "fake_casablanca": 7,
    "fake_cusco": 127,
    "fake_essex": 5,
    "fake_fez": 156,
    "fake_fractional_backend": 5,
    "fake_geneva": 27,
    "fake_guadalupe": 16,
    "fake_hanoi": 27,
    "fake_jakarta": 7,
    "fake_johannesburg": 20,
    "fake_kawasaki": 127,
    "fake_kolkata": 27,
    "fake_kyiv": 127,
    "fake_kyoto": 127,
    "fake_lagos": 7,
    "fake_lima": 5,
    "fake_london": 5,
    "fake_manhattan": 65,
    "fake_manila": 5,
    "fake_marrakesh": 156,
    "fake_melbourne": 15,
    "fake_montreal": 27,
    "fake_mumbai": 27,
    "fake_nairobi": 7,
    "fake_nighthawk": 120,
    "fake_osaka": 127,
    "fake_oslo": 7,
    "fake_ourense": 5,
    "fake_paris": 27,
    "fake_peekskill": 27,
    "fake_perth": 7,
    "fake_poughkeepsie": 20,
    "fake_prague": 33,
    "fake_quebec": 127,
    "fake_quito": 5,
    "fake_rochester": 53,
    "fake_rome": 5,
    "fake_santiago": 5,
    "fake_sherbrooke": 127,
    "fake_singapore": 20,
    "fake_sydney": 27,
    "fake_torino": 133,
    "fake_toronto": 27,
    "fake_valencia": 5,
    "fake_vigo": 5,
    "fake_washington": 127,
    "fake_yorktown": 5,
}


def fake_backend_names() -> tuple[str, ...]:
    """User-facing names of the fake backends, e.g. ``fake_brisbane``."""
    return tuple(FAKE_BACKEND_QUBITS)


def check_backend_name(value: str, key: str, *, n_qubits: int | None = None) -> str:
    """A fake backend name (with at least ``n_qubits`` qubits) or a real IBM name.

    Raises
    ------
    ValueError
        Naming ``key``: unknown fake backend (the message lists them), a fake
        backend smaller than the circuit, or a string of neither form.
    """
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a backend name; got {value!r}")
    if value.startswith("fake_"):
        if value not in FAKE_BACKEND_QUBITS:
            raise ValueError(
                f"{key}: unknown fake backend {value!r}; allowed: {', '.join(FAKE_BACKEND_QUBITS)}"
            )
        size = FAKE_BACKEND_QUBITS[value]
        if n_qubits is not None and size < n_qubits:
            big = [k for k, v in FAKE_BACKEND_QUBITS.items() if v >= n_qubits]
            raise ValueError(
                f"{key}: fake backend {value!r} has {size} qubits; the circuit needs {n_qubits}. "
                f"Fake backends with >= {n_qubits} qubits: {', '.join(big)}"
            )
        return value
    if IBM_NAME.match(value):
        return value
    raise ValueError(
        f"{key} must be a fake backend name (fake_brisbane, fake_torino, ...: "
        f"{len(FAKE_BACKEND_QUBITS)} of them) or an IBM backend name such as 'ibm_brisbane'; "
        f"got {value!r}"
    )


def ibm_credentials_available() -> bool:
    """True when qiskit-ibm-runtime can find a token: ``QISKIT_IBM_TOKEN`` or a saved
    account (``~/.qiskit/qiskit-ibm.json``). Reads neither value."""
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    return (Path.home() / ".qiskit" / "qiskit-ibm.json").is_file()


def sampled_plan(runs: int, max_steps: int, n_angles: int, shots: int) -> dict:
    """Jobs, circuits and shots of ``runs`` sampled training runs, from the config alone.

    Each step is one job of 2P + 1 circuits (the unshifted circuit and the ±π/2
    shift of each of the P angles); each run ends with one job of one circuit
    (the final estimate). Shots count circuit executions: circuits × shots.

    Parameters
    ----------
    runs : int
        Training runs (datasets × sampled arms × seeds).
    max_steps, n_angles, shots : int
        Steps per run, angles P of the circuit, shots per circuit.

    Returns
    -------
    dict
        ``runs``, ``jobs``, ``circuits``, ``shots``, ``jobs_per_run``, ``circuits_per_step``.
    """
    per_step = 2 * int(n_angles) + 1
    circuits = int(runs) * (int(max_steps) * per_step + 1)
    return {
        "runs": int(runs),
        "jobs": int(runs) * (int(max_steps) + 1),
        "circuits": circuits,
        "shots": circuits * int(shots),
        "jobs_per_run": int(max_steps) + 1,
        "circuits_per_step": per_step,
    }


def format_plan(plan: dict, qpu_seconds: float | None = None) -> str:
    """One line describing a plan (and its QPU-time estimate when known)."""
    text = (
        f"plan: {plan['runs']} run(s) x {plan['jobs_per_run']} job(s) = {plan['jobs']} job(s), "
        f"{plan['circuits']} circuit(s) ({plan['circuits_per_step']} per step), "
        f"{plan['shots']} shot(s)"
    )
    if qpu_seconds is not None:
        text += f", about {qpu_seconds:.0f} QPU second(s) (lower bound)"
    return text


def budget_problem(plan: dict, max_jobs: int, max_shots: int) -> tuple[str, str] | None:
    """(key, why) when ``plan`` exceeds ``device.max_jobs`` / ``device.max_shots``, else None."""
    if plan["jobs"] > max_jobs:
        return "device.max_jobs", (
            f"the plan needs {plan['jobs']} jobs, more than the cap "
            f"{max_jobs} ({format_plan(plan)}); lower seeds or sampled.max_steps, "
            "or raise device.max_jobs"
        )
    if plan["shots"] > max_shots:
        return "device.max_shots", (
            f"the plan needs {plan['shots']} shots, more than the cap "
            f"{max_shots} ({format_plan(plan)}); lower sampled.shots, seeds or "
            "sampled.max_steps, or raise device.max_shots"
        )
    return None
