"""The noise study: trained circuits sampled on noisy backends beside their ideal values.

For each trained circuit and each shot source (``DeviceShots`` on ``qiskit.aer``
with a fake IBM backend's noise model, or any ``ShotSource``), the mean test
accuracy of the sampled BiNNs, its standard error, and the exact expectation
Σ_σ q_θ(σ)·acc[σ] of the noiseless circuit.
"""

from __future__ import annotations

import math

import numpy as np

from qhnet.devices.backends import coupled_fraction
from qhnet.devices.shots import DeviceShots
from qhnet.engine.circuit import check_thetas, cnot_pairs, probabilities
from qhnet.validation import check_random_state


def noise_study(
    thetas,
    acc_test,
    *,
    sources=None,
    backends=None,
    shots: int = 1000,
    seed: int = 0,
    device: str = "qiskit.aer",
) -> list[dict]:
    """Sampled test accuracy of trained circuits on several devices/noise models.

    ``thetas``: angles of R trained circuits (each (layers, n)). Either
    ``sources`` (label → shot source) or ``backends`` (noise names for
    ``device``; None in the list means the ideal device). All R circuits go to
    each source in one execution (one Aer job per backend). Returns one row per
    (run, source): run, source, shots, acc_sampled, acc_se, acc_exact, acc_delta
    (sampled − exact), plus n and coupled_fraction (of the ansatz CNOT pairs, for
    a named noise backend).
    """
    thetas = check_thetas(np.stack([np.asarray(t, dtype=np.float64) for t in thetas]))
    n = thetas.shape[2]
    acc = np.asarray(acc_test, dtype=np.float64)
    if acc.shape != (2**n,):
        raise ValueError(f"acc_test must have length 2^{n} = {2**n}; got shape {acc.shape}")
    if sources is None:
        if backends is None:
            raise ValueError("give sources (label → shot source) or backends (noise names)")
        sources = {
            ("ideal" if b is None else str(b)): DeviceShots(device, noise=b) for b in backends
        }
    exact = [float(np.asarray(probabilities(t)) @ acc) for t in thetas]
    rows = []
    for k, (label, source) in enumerate(sources.items()):
        rng = check_random_state([seed, 0x4E53, k])
        idx = source.sample(thetas, shots, rng)
        noise = getattr(source, "noise", None)
        pairs = cnot_pairs(n)
        frac = coupled_fraction(noise, pairs) if isinstance(noise, str) else math.nan
        for r in range(thetas.shape[0]):
            a = acc[idx[r]]
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
                    "coupled_fraction": frac,
                }
            )
    return rows
