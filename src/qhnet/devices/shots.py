"""Shot sources backed by PennyLane devices (``qhnet.training.sampled.ShotSource``).

``DeviceShots`` measures the ansatz on any device of ``qhnet.devices.catalog.DEVICES``.
Sampled training and the noise study take it wherever they take a shot source.
PennyLane and Qiskit are imported when a device is built, not when this module is.
"""

from __future__ import annotations

import numpy as np

from qhnet.devices import backends
from qhnet.engine.circuit import (
    DEFAULT_ANSATZ,
    apply_ansatz,
    bits_to_index,
    check_ansatz,
    check_thetas,
)
from qhnet.validation import check_int


class DeviceShots:
    """Shots from a PennyLane device (``catalog.DEVICES``), one tape per circuit.

    All circuits of a call go to the device in one ``qml.execute`` batch: one Aer
    job on ``qiskit.aer``; one primitive job *per circuit* on ``qiskit.remote``
    (the plugin's behaviour), i.e. 2·layers·n + 1 jobs per training step.
    Each call builds the device with a seed drawn from ``rng`` (a fixed
    simulator seed would repeat the same shots every call); on real hardware the
    seed has no effect and runs are not reproducible. The backend and noise model
    are resolved once per qubit count and reused. ``ansatz`` (one of
    ``qhnet.engine.circuit.ANSATZE``) is the circuit measured; ``thetas`` then
    have shape (batch,) + ``angle_shape(ansatz, n, layers)``.
    """

    def __init__(
        self,
        device: str = "default.qubit",
        *,
        noise=None,
        backend=None,
        threads: int = 1,
        ansatz: str = DEFAULT_ANSATZ,
    ):
        self.device = backends.check_device(device, noise=noise, backend=backend)
        self.ansatz = check_ansatz(ansatz)
        self.noise = noise
        self.backend = backend
        self.threads = check_int(threads, "threads", minimum=1)
        self._resolved: dict[int, tuple] = {}

    def _resolve(self, n: int):
        if n not in self._resolved:
            noise = backend = None
            if self.noise is not None:
                noise = backends.noise_model(self.noise, n)
            if self.device == "qiskit.remote":
                backend = backends.resolve_backend(self.backend, n)
            self._resolved[n] = (noise, backend)
        return self._resolved[n]

    def sample(self, thetas, shots: int, rng: np.random.Generator) -> np.ndarray:
        import pennylane as qml

        thetas = check_thetas(thetas, self.ansatz)
        shots = check_int(shots, "shots", minimum=1)
        n = thetas.shape[-1]
        noise, backend = self._resolve(n)
        seed = int(rng.integers(2**31 - 1))
        dev = backends.make_device(
            self.device, n, noise=noise, backend=backend, seed=seed, threads=self.threads
        )
        wires = list(range(n))

        def qfunc(t):
            apply_ansatz(t, wires=wires, ansatz=self.ansatz)
            return qml.sample(wires=wires)

        tapes = [qml.tape.make_qscript(qfunc, shots=shots)(t) for t in thetas]
        results = qml.execute(tapes, dev, diff_method=None)
        bits = np.stack([np.asarray(r).reshape(shots, n) for r in results])
        return bits_to_index(bits)

    def __repr__(self) -> str:
        noise = self.noise if isinstance(self.noise, str) or self.noise is None else "<object>"
        backend = (
            self.backend if isinstance(self.backend, str) or self.backend is None else "<object>"
        )
        return (
            f"DeviceShots({self.device!r}, noise={noise!r}, backend={backend!r}, "
            f"ansatz={self.ansatz!r})"
        )
