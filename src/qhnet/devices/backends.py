"""Quantum devices for sampled mode: PennyLane simulators, Qiskit Aer with IBM noise, IBM Quantum.

- ``default.qubit``, ``lightning.qubit``: ideal simulators (seeded).
- ``qiskit.aer``: ideal, or with the noise model of an IBM backend (``noise``:
  a fake backend name such as ``"fake_brisbane"``, offline; or a real backend
  name ``"ibm_*"``, fetched through the IBM service). The noise model is
  ``NoiseModel.from_backend`` (not ``AerSimulator.from_backend``, whose target
  makes the device's un-routed transpilation fail on CNOTs outside the coupling
  map), with two-qubit errors made symmetric: Aer does not enforce gate
  direction, so on ECR backends (Brisbane, Sherbrooke) a CNOT on a pair whose
  native direction is reversed would otherwise run *noiseless* (6 of the 13
  ansatz CNOTs at n = 14). The reversed entries get the error the backend's
  own calibration data gives for that pair. Virtual qubit i is physical qubit i:
  CNOTs on pairs the backend does not couple get no two-qubit error
  (``coupled_fraction`` says how many are covered).
  Aer's shot branching would be 5× faster for noisy runs but is not
  reproducible for a fixed seed (qiskit-aer 0.17.2), so it stays off: at
  n = 14, 1000 shots, one thread, one circuit costs ≈ 20 s with Brisbane's model.
- ``qiskit.remote``: a Qiskit backend through IBM's primitives. ``backend`` is a
  fake backend name (offline: the primitives run in qiskit-ibm-runtime's local
  mode and simulate the fake backend's own noise), a backend object, an IBM backend
  name ``"ibm_*"``, or None for the least busy IBM device. The IBM service uses
  channel ``ibm_quantum_platform``; the token comes from ``QISKIT_IBM_TOKEN``
  (read by qiskit-ibm-runtime itself) or the user's saved account, the instance
  from ``QISKIT_IBM_INSTANCE``. This module never passes, prints, logs or stores
  the token (it reads it only to redact it from error messages), and never puts
  the service object in a message.

Seeds: a fixed simulator seed repeats the same shots on every execution, so
callers derive a fresh seed per execution from their own generator
(``qhnet.devices.shots.DeviceShots`` does, from the step's generator). On real hardware the
seed has no effect.

Qiskit is imported inside functions only: exact-mode jobs never import it.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache

from qhnet.devices.catalog import DEVICES, IBM_CHANNEL, check_backend_name
from qhnet.validation import check_choice, check_int

log = logging.getLogger(__name__)


def _fake_name(cls_name: str) -> str:
    """FakeManilaV2 → fake_manila, FakeBrisbane → fake_brisbane."""
    core = re.sub(r"V2$", "", cls_name[len("Fake") :])
    return "fake_" + re.sub(r"(?<!^)(?=[A-Z])", "_", core).lower()


@lru_cache(maxsize=1)
def _fake_classes() -> dict:
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    out = {}
    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        if (
            attr.startswith("Fake")
            and isinstance(cls, type)
            and issubclass(cls, FakeBackendV2)
            and cls is not FakeBackendV2
        ):
            out[_fake_name(attr)] = cls
    return dict(sorted(out.items()))


def fake_backend(name: str):
    """A fresh fake backend object by user-facing name, e.g. ``fake_brisbane``."""
    check_backend_name(name, "fake backend")
    return _fake_classes()[name]()


def _is_backend_object(obj) -> bool:
    from qiskit.providers import BackendV2

    return isinstance(obj, BackendV2)


def _check_backend_name(value, what: str) -> None:
    """Names are checked against the catalogue; backend objects pass."""
    if isinstance(value, str):
        check_backend_name(value, what)


def check_device(name: str, *, noise=None, backend=None) -> str:
    """Validate a device choice offline (no network, no service); return the name.

    ``noise`` is only for ``qiskit.aer`` (backend name, backend object or an Aer
    NoiseModel); ``backend`` only for ``qiskit.remote`` (name, object or None).
    Real IBM names (``ibm_*``) are checked for form only here.
    """
    check_choice(name, "device", DEVICES)
    if noise is not None:
        if name != "qiskit.aer":
            raise ValueError(f"noise is only available on 'qiskit.aer'; got device {name!r}")
        _check_backend_name(noise, "noise")
    if backend is not None:
        if name != "qiskit.remote":
            raise ValueError(
                f"backend is only used by 'qiskit.remote' (use noise= for 'qiskit.aer'); "
                f"got device {name!r}"
            )
        _check_backend_name(backend, "backend")
    return name


def _redact(text: str) -> str:
    token = os.environ.get("QISKIT_IBM_TOKEN")
    if token:
        text = text.replace(token, "***")
    return text


def ibm_service():
    """``QiskitRuntimeService`` on channel ``ibm_quantum_platform``.

    The token is read by qiskit-ibm-runtime from ``QISKIT_IBM_TOKEN`` (or the
    saved account); the instance is ``QISKIT_IBM_INSTANCE`` if set. Errors are
    re-raised with the token redacted and without the original traceback.
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    kwargs = {"channel": IBM_CHANNEL}
    instance = os.environ.get("QISKIT_IBM_INSTANCE")
    if instance:
        kwargs["instance"] = instance
    try:
        return QiskitRuntimeService(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the message must not leak the token
        msg = _redact(f"{type(exc).__name__}: {exc}")
    raise RuntimeError(
        f"could not open the IBM Quantum service (channel {IBM_CHANNEL!r}); set "
        f"QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) or save an account. {msg}"
    )


def resolve_backend(backend, wires: int):
    """A Qiskit backend object for ``qiskit.remote`` (see the module docstring)."""
    if backend is not None and not isinstance(backend, str):
        if not _is_backend_object(backend):
            raise ValueError(f"backend must be a name or a Qiskit BackendV2; got {type(backend)}")
        return backend
    if isinstance(backend, str):
        _check_backend_name(backend, "backend")
        if backend.startswith("fake_"):
            # runs through qiskit-ibm-runtime's local mode (QiskitRuntimeLocalService)
            return fake_backend(backend)
    service = ibm_service()
    try:
        if backend is None:
            found = service.least_busy(min_num_qubits=wires, operational=True, simulator=False)
        else:
            found = service.backend(backend)
    except Exception as exc:  # noqa: BLE001
        msg = _redact(f"{type(exc).__name__}: {exc}")
        raise RuntimeError(f"could not get IBM backend {backend!r}: {msg}") from None
    log.info("qiskit.remote: using IBM backend %s", found.name)
    return found


@lru_cache(maxsize=16)
def _noise_model_cached(name: str, wires: int):
    return _build_noise_model(
        resolve_backend(name, wires) if name.startswith("ibm") else fake_backend(name), wires
    )


def _build_noise_model(backend, wires: int):
    """``NoiseModel.from_backend`` plus reversed-direction two-qubit errors on qubits < wires."""
    from qiskit.transpiler import InstructionProperties, Target
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.device import basic_device_gate_errors

    if backend.num_qubits < wires:
        raise ValueError(
            f"backend {backend.name!r} has {backend.num_qubits} qubits; the circuit needs {wires}"
        )
    model = NoiseModel.from_backend(backend)
    target = backend.target
    extra = Target(
        num_qubits=target.num_qubits, dt=target.dt, qubit_properties=target.qubit_properties
    )
    for op_name in target.operation_names:
        op = target.operation_from_name(op_name)
        if getattr(op, "num_qubits", 0) != 2 or target[op_name] is None:
            continue
        props = {}
        for qargs, p in target[op_name].items():
            if qargs is None or max(qargs) >= wires or qargs[::-1] in target[op_name]:
                continue
            if p is not None:
                props[qargs[::-1]] = InstructionProperties(duration=p.duration, error=p.error)
        if props:
            extra.add_instruction(op, props)
    if extra.operation_names:
        for op_name, qubits, error in basic_device_gate_errors(target=extra):
            model.add_quantum_error(error, op_name, qubits)
    return model


def noise_model(noise, wires: int):
    """The Aer noise model for ``noise`` (name, backend object or NoiseModel) on ``wires`` qubits.

    Names are cached per process (building one takes seconds).
    """
    from qiskit_aer.noise import NoiseModel

    if isinstance(noise, NoiseModel):
        return noise
    if isinstance(noise, str):
        _check_backend_name(noise, "noise")
        return _noise_model_cached(noise, int(wires))
    if _is_backend_object(noise):
        return _build_noise_model(noise, int(wires))
    raise ValueError(
        f"noise must be a backend name, a Qiskit backend or an Aer NoiseModel; got {type(noise)}"
    )


def coupled_fraction(backend, pairs) -> float:
    """Fraction of qubit ``pairs`` that the backend couples (either direction)."""
    if isinstance(backend, str):
        backend = (
            fake_backend(backend)
            if backend.startswith("fake_")
            else resolve_backend(backend, 1 + max(max(p) for p in pairs))
        )
    edges = {tuple(e) for e in backend.coupling_map.get_edges()}
    hit = sum(1 for a, b in pairs if (a, b) in edges or (b, a) in edges)
    return hit / len(pairs) if pairs else 1.0


def make_device(name: str, wires: int, *, noise=None, backend=None, seed=None, threads: int = 1):
    """A PennyLane device by name; shots are set on the tape or QNode (``qml.set_shots``).

    ``seed`` seeds the simulator (the device's generator for default/lightning;
    ``seed_simulator`` and ``seed_transpiler`` for Aer and for fake backends on
    ``qiskit.remote``). ``threads`` caps Aer's threads (the project runs one
    thread per process).
    """
    import pennylane as qml

    check_device(
        name,
        noise=noise if isinstance(noise, str) else None,
        backend=backend if isinstance(backend, str) else None,
    )
    wires = check_int(wires, "wires", minimum=1)
    if noise is not None and name != "qiskit.aer":
        raise ValueError(f"noise is only available on 'qiskit.aer'; got device {name!r}")
    if backend is not None and name != "qiskit.remote":
        raise ValueError(f"backend is only used by 'qiskit.remote'; got device {name!r}")
    seed = None if seed is None else int(seed)
    if name in ("default.qubit", "lightning.qubit"):
        return qml.device(name, wires=wires, seed=seed)
    if name == "qiskit.aer":
        kwargs = {"max_parallel_threads": int(threads)}
        if seed is not None:
            kwargs.update(seed_simulator=seed, seed_transpiler=seed)
        if noise is not None:
            # Aer's shot branching is faster but not reproducible for a fixed seed
            # (measured with qiskit-aer 0.17.2): keep it off so that the same
            # config and seeds give the same numbers.
            kwargs.update(noise_model=noise_model(noise, wires), shot_branching_enable=False)
        return qml.device("qiskit.aer", wires=wires, **kwargs)
    # qiskit.remote
    be = resolve_backend(backend, wires)
    kwargs = {}
    if seed is not None:
        kwargs["seed_transpiler"] = seed
        if _is_simulator(be):
            kwargs["simulator"] = {"seed_simulator": seed}
    return qml.device("qiskit.remote", wires=wires, backend=be, **kwargs)


def _is_simulator(backend) -> bool:
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    return isinstance(backend, (FakeBackendV2, AerSimulator))
