"""The noise study: trained circuits sampled on noisy backends beside their ideal values.

For each trained circuit and each shot source (by default
``qhnet.devices.primitives.PrimitiveShots`` on ``qiskit.aer`` with a fake IBM
backend: the ansatz transpiled once to that backend's target and simulated with
its noise, all R circuits in one SamplerV2 job per backend; or any
``ShotSource``), the mean test accuracy of the sampled BiNNs, its standard error,
the exact expectation Σ_σ q_θ(σ)·acc[σ] of the noiseless circuit and, with
``mitigation``, the readout-mitigated accuracy Σ_σ q̃(σ)·acc[σ], where q̃ is the
histogram corrected by the inverse of the tensored readout confusion matrix
calibrated by two circuits (|0…0⟩, |1…1⟩) in the same job.
"""

from __future__ import annotations

import json
import math

import numpy as np

from qhnet.devices.primitives import PrimitiveShots, coupled_fraction_on_layout, mitigate
from qhnet.engine.ansatze import DEFAULT_ANSATZ, ansatz_ops, check_thetas, theta_dims
from qhnet.engine.circuit import probabilities
from qhnet.validation import check_bool, check_random_state


def noise_study(
    thetas,
    acc_test,
    *,
    sources=None,
    backends=None,
    shots: int = 1000,
    seed: int = 0,
    device: str = "qiskit.aer",
    mitigation: bool = False,
    ansatz: str = DEFAULT_ANSATZ,
) -> list[dict]:
    """Sampled test accuracy of trained circuits on several devices/noise models.

    Parameters
    ----------
    thetas : sequence of arrays
        Angles of R trained circuits (each ``angle_shape(ansatz, n, layers)``).
    acc_test : array, shape (2**n,)
        Test accuracy of every BiNN.
    sources : dict, optional
        label → shot source; or ``backends``: noise names for ``device`` (None in
        the list means the ideal device), each a ``PrimitiveShots``.
    shots, seed : int
        Shots per circuit; seed of the shots (one stream per source).
    mitigation : bool
        Add ``acc_mitigated`` (sources that are ``PrimitiveShots``; NaN otherwise).

    Returns
    -------
    list of dict
        One row per (run, source): run, source, n, shots, acc_sampled, acc_se,
        acc_exact, acc_delta (sampled − exact), acc_mitigated,
        acc_mitigated_delta (mitigated − exact), coupled_fraction (of the
        ansatz's CNOT pairs on the physical layout used, for a named noise
        backend) and physical_qubits (JSON list, wire 0 first; "" if unknown).

    Raises
    ------
    ValueError
        For a table of the wrong length or neither ``sources`` nor ``backends``.
    """
    thetas = check_thetas(np.stack([np.asarray(t, dtype=np.float64) for t in thetas]), ansatz)
    layers, n = theta_dims(thetas.shape[1:], ansatz)
    mitigation = check_bool(mitigation, "mitigation")
    acc = np.asarray(acc_test, dtype=np.float64)
    if acc.shape != (2**n,):
        raise ValueError(f"acc_test must have length 2^{n} = {2**n}; got shape {acc.shape}")
    if sources is None:
        if backends is None:
            raise ValueError("give sources (label → shot source) or backends (noise names)")
        sources = {
            ("ideal" if b is None else str(b)): PrimitiveShots(device, noise=b, ansatz=ansatz)
            for b in backends
        }
    exact = [float(np.asarray(probabilities(t, ansatz)) @ acc) for t in thetas]
    pairs = [w for g, w, _ in ansatz_ops(ansatz, n, layers) if g == "CNOT"]
    rows = []
    for k, (label, source) in enumerate(sources.items()):
        rng = check_random_state([seed, 0x4E53, k])
        flips, frac, qubits = None, math.nan, ""
        if isinstance(source, PrimitiveShots):
            idx, flips = source.measure(thetas, shots, rng, calibrate=mitigation)
            t = source.prepare(n, layers)
            qubits = json.dumps(t.final_qubits)
            if isinstance(source.noise, str):
                frac = coupled_fraction_on_layout(t, source.target_backend(n), pairs)
        else:
            idx = source.sample(thetas, shots, rng)
        for r in range(thetas.shape[0]):
            a = acc[idx[r]]
            mit = math.nan
            if flips is not None:
                hist = np.bincount(idx[r], minlength=2**n) / idx.shape[1]
                mit = float(mitigate(hist, flips) @ acc)
            rows.append(
                {
                    "run": r,
                    "source": label,
                    "n": n,
                    "shots": int(shots),
                    "acc_sampled": float(a.mean()),
                    "acc_se": float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else math.nan,
                    "acc_exact": exact[r],
                    "acc_delta": float(a.mean()) - exact[r],
                    "acc_mitigated": mit,
                    "acc_mitigated_delta": mit - exact[r],
                    "coupled_fraction": frac,
                    "physical_qubits": qubits,
                }
            )
    return rows
