"""One primitive job per training step: the ansatz as one parametrised Qiskit circuit.

pennylane-qiskit 0.45 sends one Sampler call per circuit (``QiskitDevice.execute``
loops over tapes) and transpiles every circuit again, so a parameter-shift step
over P angles is 2P + 1 Runtime jobs on ``qiskit.remote`` and seconds of
transpilation on ``qiskit.aer``. This module goes around the plugin:

- ``qiskit_ansatz`` builds the circuit from ``qhnet.engine.ansatze.ansatz_ops``
  (the one definition of every ansatz) with a ``ParameterVector`` of the P angles
  in the order of ``theta.reshape(-1)``; wire i is measured into classical bit
  n − 1 − i, so the integer a bitstring spells is PennyLane's basis index.
- ``transpile_ansatz`` transpiles it once per backend (``generate_preset_pass_manager``,
  optimisation level 1: layout by VF2 — a noise-aware perfect layout when one
  exists — else Sabre; routing by Sabre; fixed ``seed_transpiler``) and records
  the physical qubits.
- ``PrimitiveShots`` (a ``ShotSource``) submits every circuit of a call (the
  unshifted circuit and all ±π/2 shifts) as ONE SamplerV2 PUB with a (B, P)
  parameter array: one job per training step. ``qiskit.aer`` runs Aer's
  SamplerV2 (ideal, or ``AerSimulator.from_backend`` of a fake/IBM backend: the
  circuit is transpiled to that backend's target, so its native gates, directions
  and noise apply); ``qiskit.remote`` runs qiskit-ibm-runtime's SamplerV2 in job,
  batch or session mode (``EXECUTION_MODES``), offline on a fake backend (local
  testing mode, which ignores the mode) or on IBM hardware.

Seeds: each call draws a fresh simulator seed from the caller's generator (a fixed
seed would repeat the same shots every call); Aer's shot branching stays off, so a
seed gives the same shots every time (tests/test_primitives.py checks it). On
hardware the seed has no effect.

Failures: a job that fails is re-submitted, up to ``retries`` times; earlier
calls' finished jobs are never repeated (their shots are already used). Every
submission is logged (job id, circuits, shots, attempt) and counted in ``jobs``.

Readout mitigation (``calibrate=True`` in ``measure``): the same job carries two
calibration circuits (|0…0⟩ and |1…1⟩ on the same physical qubits); their shots
give each qubit's readout flip probabilities, and ``mitigate`` applies the
inverse of the tensored confusion matrix to a histogram (quasi-probabilities).

Qiskit is imported inside functions only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from qhnet.devices import backends
from qhnet.devices.catalog import EXECUTION_MODES
from qhnet.engine.ansatze import DEFAULT_ANSATZ, ansatz_ops, check_ansatz, check_thetas, theta_dims
from qhnet.validation import check_choice, check_int

log = logging.getLogger(__name__)

#: Name of the classical register (SamplerV2 returns ``result[i].data.meas``).
CREG = "meas"
OPTIMIZATION_LEVEL = 1
LAYOUT = "VF2 perfect layout if one exists, else Sabre (optimisation level 1)"
ROUTING = "Sabre"

PRIMITIVE_DEVICES = ("qiskit.aer", "qiskit.remote")


def qiskit_ansatz(ansatz: str, n: int, layers: int):
    """The ansatz as a parametrised ``QuantumCircuit`` with measurements.

    Parameters
    ----------
    ansatz : str
        One of ``qhnet.engine.ansatze.ANSATZE``.
    n, layers : int
        Qubits and layers.

    Returns
    -------
    qiskit.QuantumCircuit
        Gates from ``ansatz_ops``; parameter ``theta[k]`` is ``theta.reshape(-1)[k]``;
        wire i measured into classical bit n − 1 − i of register ``meas``.
    """
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import ParameterVector

    ops = ansatz_ops(ansatz, n, layers)
    theta = ParameterVector("theta", sum(1 for _, _, k in ops if k is not None))
    qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(n, CREG))
    for gate, wires, k in ops:
        if gate == "CNOT":
            qc.cx(*wires)
        elif gate == "RY":
            qc.ry(theta[k], wires[0])
        elif gate == "RZ":
            qc.rz(theta[k], wires[0])
        else:  # pragma: no cover - ansatz_ops only emits GATES
            raise ValueError(f"unknown gate {gate!r}")
    for i in range(n):
        qc.measure(i, n - 1 - i)
    return qc


def calibration_circuits(n: int):
    """Readout calibration: |0…0⟩ and |1…1⟩, measured like ``qiskit_ansatz``."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    out = []
    for flip in (False, True):
        qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(n, CREG))
        if flip:
            qc.x(range(n))
        for i in range(n):
            qc.measure(i, n - 1 - i)
        out.append(qc)
    return out


@dataclass
class Transpiled:
    """The ansatz transpiled for one backend, and what the transpiler chose."""

    circuit: object
    columns: np.ndarray  # column of theta.reshape(-1) for each parameter of ``circuit``
    backend: str
    initial_qubits: list[int]  # physical qubit of wire i before routing
    final_qubits: list[int]  # physical qubit measured for wire i
    two_qubit_gates: int
    logical_two_qubit_gates: int
    depth: int
    duration_s: float | None  # schedule estimate from the backend's gate timings
    calibration: list = field(default_factory=list)

    def describe(self) -> str:
        dur = "n/a" if self.duration_s is None else f"{self.duration_s * 1e6:.2f} us"
        return (
            f"transpiled for {self.backend}: layout {LAYOUT}, routing {ROUTING}; "
            f"physical qubits (wire 0..n-1) initial {self.initial_qubits} final "
            f"{self.final_qubits}; two-qubit gates {self.two_qubit_gates} "
            f"(logical {self.logical_two_qubit_gates}); depth {self.depth}; duration {dur}"
        )


def _two_qubit(circuit) -> int:
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2)


def transpile_ansatz(ansatz: str, n: int, layers: int, backend, *, seed: int = 0) -> Transpiled:
    """Transpile ``qiskit_ansatz`` once for ``backend`` (see the module docstring).

    Parameters that the transpiler removes (e.g. a final RZ before measurement,
    which changes no probability) are dropped from the parameter array by
    ``columns``. The calibration circuits are transpiled onto the same physical
    qubits.
    """
    from qiskit.transpiler import generate_preset_pass_manager

    logical = qiskit_ansatz(ansatz, n, layers)
    pm = generate_preset_pass_manager(
        optimization_level=OPTIMIZATION_LEVEL, backend=backend, seed_transpiler=int(seed)
    )
    isa = pm.run(logical)
    columns = np.array([p.index for p in isa.parameters], dtype=np.int64)
    if isa.layout is None:
        initial = final = list(range(n))
    else:
        initial = list(isa.layout.initial_index_layout(filter_ancillas=True))[:n]
        final = list(isa.layout.final_index_layout(filter_ancillas=True))[:n]
    target = getattr(backend, "target", None)
    duration = None
    try:
        duration = float(isa.estimate_duration(target, unit="s"))
    except Exception:  # noqa: BLE001 - an ideal simulator reports no timings
        duration = None
    cal_pm = generate_preset_pass_manager(
        optimization_level=OPTIMIZATION_LEVEL,
        backend=backend,
        seed_transpiler=int(seed),
        initial_layout=final,
    )
    cal = [cal_pm.run(c) for c in calibration_circuits(n)]
    return Transpiled(
        circuit=isa,
        columns=columns,
        backend=getattr(backend, "name", type(backend).__name__),
        initial_qubits=[int(q) for q in initial],
        final_qubits=[int(q) for q in final],
        two_qubit_gates=_two_qubit(isa),
        logical_two_qubit_gates=_two_qubit(logical),
        depth=int(isa.depth()),
        duration_s=duration,
        calibration=cal,
    )


def decode(bit_array) -> np.ndarray:
    """Basis indices (wire 0 most significant) from a SamplerV2 ``BitArray``: shape (..., shots)."""
    raw = np.asarray(bit_array.array, dtype=np.int64)  # (..., shots, bytes), big-endian
    weights = np.int64(256) ** np.arange(raw.shape[-1] - 1, -1, -1, dtype=np.int64)
    return raw @ weights


def readout_flips(idx0, idx1, n: int) -> np.ndarray:
    """Per-qubit readout error rates from calibration shots, shape (n, 2).

    Column 0: P(read 1 | prepared 0) from the |0…0⟩ shots ``idx0``; column 1:
    P(read 0 | prepared 1) from the |1…1⟩ shots ``idx1``. Wire 0 first.
    """
    shift = np.arange(n - 1, -1, -1, dtype=np.int64)
    b0 = (np.asarray(idx0, dtype=np.int64)[:, None] >> shift) & 1
    b1 = (np.asarray(idx1, dtype=np.int64)[:, None] >> shift) & 1
    return np.stack([b0.mean(axis=0), 1.0 - b1.mean(axis=0)], axis=1)


def mitigate(hist, flips) -> np.ndarray:
    """Quasi-probabilities: the tensored inverse confusion matrix applied to a histogram.

    Parameters
    ----------
    hist : array, shape (2**n,)
        Counts or frequencies (wire 0 most significant).
    flips : array, shape (n, 2)
        ``readout_flips``: P(1|0) and P(0|1) per qubit.

    Returns
    -------
    numpy.ndarray, shape (2**n,)
        Sums to the same total as ``hist``; entries may be negative.

    Raises
    ------
    ValueError
        If a qubit's confusion matrix is singular (P(1|0) + P(0|1) = 1).
    """
    flips = np.asarray(flips, dtype=np.float64)
    n = flips.shape[0]
    x = np.asarray(hist, dtype=np.float64).reshape((2,) * n)
    for i, (e01, e10) in enumerate(flips):
        det = 1.0 - e01 - e10
        if abs(det) < 1e-9:
            raise ValueError(f"readout of wire {i} is uninformative (P(1|0) + P(0|1) = 1)")
        inv = np.array([[1.0 - e10, -e10], [-e01, 1.0 - e01]]) / det
        x = np.moveaxis(np.tensordot(inv, x, axes=([1], [i])), 0, i)
    return x.reshape(-1)


def rep_delay_seconds(backend) -> float | None:
    """The backend's default repetition delay between shots (seconds), if it reports one."""
    for get in (
        lambda b: b.default_rep_delay,
        lambda b: b.configuration().default_rep_delay,
    ):
        try:
            value = get(backend)
        except Exception:  # noqa: BLE001 - not every backend reports it
            continue
        if value is not None:
            return float(value)
    return None


def qpu_seconds(transpiled: Transpiled, backend, circuit_shots: int) -> float | None:
    """Estimated QPU time of ``circuit_shots`` circuit executions: (duration + rep delay) each.

    From the backend's reported gate timings and repetition delay; None where
    the backend reports neither (an ideal simulator). It ignores per-job
    overheads, so treat it as a lower bound.
    """
    delay = rep_delay_seconds(backend)
    if transpiled.duration_s is None and delay is None:
        return None
    return circuit_shots * ((transpiled.duration_s or 0.0) + (delay or 0.0))


class PrimitiveShots:
    """Shots from Qiskit primitives: one SamplerV2 job per ``sample`` call.

    Parameters
    ----------
    device : str
        ``qiskit.aer`` or ``qiskit.remote``.
    noise : str or BackendV2, optional
        ``qiskit.aer`` only: the backend whose target and noise the simulator
        takes (``AerSimulator.from_backend``); None = ideal.
    backend : str or BackendV2, optional
        ``qiskit.remote`` only: a fake backend (local testing mode), an IBM
        backend name or None for the least busy IBM device.
    ansatz : str
        One of ``ANSATZE``.
    execution : str
        ``job``, ``batch`` or ``session`` (``qiskit.remote``; see ``EXECUTION_MODES``).
    retries : int
        Re-submissions of a failed job before giving up.
    threads : int
        Aer's thread cap.
    seed_transpiler : int
        Seed of the (one) transpilation.

    Raises
    ------
    ValueError
        For an unknown device, mode or backend name.
    """

    def __init__(
        self,
        device: str = "qiskit.aer",
        *,
        noise=None,
        backend=None,
        ansatz: str = DEFAULT_ANSATZ,
        execution: str = "job",
        retries: int = 2,
        threads: int = 1,
        seed_transpiler: int = 0,
    ):
        check_choice(device, "device", PRIMITIVE_DEVICES)
        self.device = backends.check_device(device, noise=noise, backend=backend)
        self.noise, self.backend = noise, backend
        self.ansatz = check_ansatz(ansatz)
        self.execution = check_choice(execution, "execution", EXECUTION_MODES)
        if device == "qiskit.aer" and execution != "job":
            raise ValueError(
                f"execution must be 'job' on 'qiskit.aer' (batch and session are Qiskit Runtime "
                f"modes); got {execution!r}"
            )
        self.retries = check_int(retries, "retries", minimum=0)
        self.threads = check_int(threads, "threads", minimum=1)
        self.seed_transpiler = check_int(seed_transpiler, "seed_transpiler", minimum=0)
        self.jobs: list[dict] = []
        self._target: dict[int, object] = {}
        self._transpiled: dict[tuple[int, int], Transpiled] = {}
        self._mode = None

    # -- backends and transpilation ------------------------------------------------

    def target_backend(self, n: int):
        """The backend the circuit is transpiled for and run on (resolved once per n)."""
        if n not in self._target:
            if self.device == "qiskit.aer":
                from qiskit_aer import AerSimulator

                opts = dict(max_parallel_threads=self.threads, shot_branching_enable=False)
                if self.noise is None:
                    self._target[n] = AerSimulator(**opts)
                else:
                    noisy = self.noise
                    if isinstance(noisy, str):
                        noisy = backends.resolve_backend(noisy, n)
                    if noisy.num_qubits < n:
                        raise ValueError(
                            f"noise backend {noisy.name!r} has {noisy.num_qubits} qubits; "
                            f"the circuit needs {n}"
                        )
                    self._target[n] = AerSimulator.from_backend(noisy, **opts)
            else:
                self._target[n] = backends.resolve_backend(self.backend, n)
        return self._target[n]

    def prepare(self, n: int, layers: int) -> Transpiled:
        """Transpile the ansatz for (n, layers) once; later calls reuse it."""
        key = (int(n), int(layers))
        if key not in self._transpiled:
            t = transpile_ansatz(
                self.ansatz, n, layers, self.target_backend(n), seed=self.seed_transpiler
            )
            self._transpiled[key] = t
            print(f"{self.device}: {t.describe()}", flush=True)
        return self._transpiled[key]

    # -- submission ---------------------------------------------------------------

    def _sampler(self, seed: int, n: int):
        backend = self.target_backend(n)
        if self.device == "qiskit.aer":
            from qiskit_aer.primitives import SamplerV2

            return SamplerV2.from_backend(backend, seed=seed)
        from qiskit_ibm_runtime import Batch, SamplerV2, Session

        if self._mode is None:
            if self.execution == "job":
                self._mode = backend
            else:
                self._mode = (Batch if self.execution == "batch" else Session)(backend=backend)
        sampler = SamplerV2(mode=self._mode)
        if backends._is_simulator(backend):
            sampler.options.simulator.seed_simulator = seed
        return sampler

    def _run(self, pubs, shots: int, rng: np.random.Generator, n: int):
        circuits = sum(p[1].shape[0] if len(p) > 1 else 1 for p in pubs)
        last = None
        for attempt in range(self.retries + 1):
            # local mode ignores seed 0, so seeds are >= 1
            seed = int(rng.integers(1, 2**31 - 1))
            sampler = self._sampler(seed, n)
            try:
                job = sampler.run(pubs, shots=shots)
                job_id = job.job_id() if hasattr(job, "job_id") else str(job)
                record = dict(
                    job_id=job_id,
                    circuits=circuits,
                    shots=shots,
                    attempt=attempt,
                    status="submitted",
                )
                self.jobs.append(record)
                print(
                    f"{self.device}: submitted job {len(self.jobs)} id={job_id} "
                    f"circuits={circuits} shots={shots} attempt={attempt}",
                    flush=True,
                )
                result = job.result()
                record["status"] = "done"
                return result
            except (ValueError, TypeError):
                raise  # our inputs are wrong: re-submitting will not help
            except Exception as exc:  # noqa: BLE001 - a failed or lost job: re-submit
                last = backends._redact(f"{type(exc).__name__}: {exc}")
                if self.jobs:
                    self.jobs[-1]["status"] = "failed"
                print(f"{self.device}: job failed ({last}); attempt {attempt + 1}", flush=True)
        raise RuntimeError(f"job failed after {self.retries + 1} attempts: {last}")

    def measure(self, thetas, shots: int, rng: np.random.Generator, *, calibrate: bool = False):
        """Shots of every circuit of ``thetas`` in one job; with the readout calibration.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray or None)
            Basis indices (B, shots) and, if ``calibrate``, ``readout_flips`` (n, 2).
        """
        thetas = check_thetas(thetas, self.ansatz)
        shots = check_int(shots, "shots", minimum=1)
        layers, n = theta_dims(thetas.shape[1:], self.ansatz)
        t = self.prepare(n, layers)
        values = thetas.reshape(thetas.shape[0], -1)[:, t.columns]
        pubs = [(t.circuit, values)]
        if calibrate:
            pubs += [(c,) for c in t.calibration]
        result = list(self._run(pubs, shots, rng, n))
        idx = decode(getattr(result[0].data, CREG)).reshape(thetas.shape[0], shots)
        flips = None
        if calibrate:
            cal0, cal1 = (decode(getattr(r.data, CREG)) for r in result[1:3])
            flips = readout_flips(cal0, cal1, n)
        return idx, flips

    def sample(self, thetas, shots: int, rng: np.random.Generator) -> np.ndarray:
        """``ShotSource.sample``: basis indices (B, shots), one job."""
        return self.measure(thetas, shots, rng)[0]

    def close(self) -> None:
        """Close a batch or session (no new jobs; submitted ones finish)."""
        if self._mode is not None and hasattr(self._mode, "close"):
            self._mode.close()
        self._mode = None

    def __repr__(self) -> str:
        def name(x):
            return x if isinstance(x, str) or x is None else "<object>"

        return (
            f"PrimitiveShots({self.device!r}, noise={name(self.noise)!r}, "
            f"backend={name(self.backend)!r}, ansatz={self.ansatz!r}, "
            f"execution={self.execution!r})"
        )


def coupled_fraction_on_layout(transpiled: Transpiled, backend, pairs) -> float:
    """Fraction of the CNOT ``pairs`` whose physical qubits (initial layout) are coupled."""
    edges = {tuple(e) for e in backend.coupling_map.get_edges()} if backend.coupling_map else None
    if edges is None:
        return 1.0
    q = transpiled.initial_qubits
    hit = sum(1 for a, b in pairs if (q[a], q[b]) in edges or (q[b], q[a]) in edges)
    return hit / len(pairs) if pairs else 1.0


__all__ = [
    "CREG",
    "LAYOUT",
    "PRIMITIVE_DEVICES",
    "ROUTING",
    "PrimitiveShots",
    "Transpiled",
    "calibration_circuits",
    "coupled_fraction_on_layout",
    "decode",
    "mitigate",
    "qiskit_ansatz",
    "qpu_seconds",
    "readout_flips",
    "rep_delay_seconds",
    "transpile_ansatz",
]
