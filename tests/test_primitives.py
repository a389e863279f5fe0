"""The Qiskit path: one parametrised circuit per ansatz, one primitive job per step."""

import numpy as np
import pytest
from scipy import stats

from qhnet.devices.primitives import (
    PrimitiveShots,
    decode,
    mitigate,
    qiskit_ansatz,
    readout_flips,
)
from qhnet.engine.ansatze import ANSATZE, init_angles
from qhnet.engine.circuit import probabilities, probabilities_pennylane
from qhnet.training.sampled import shifted_angles, train_sampled

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:stevedore.*")


def _statevector_probs(ansatz, theta):
    from qiskit.quantum_info import Statevector

    n = theta.shape[-1]
    layers = theta.shape[0]
    qc = qiskit_ansatz(ansatz, n, layers).remove_final_measurements(inplace=False)
    bound = qc.assign_parameters(theta.reshape(-1))
    p = Statevector(bound).probabilities()  # little-endian: qubit 0 least significant
    return p.reshape((2,) * n).transpose(range(n - 1, -1, -1)).reshape(-1)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_qiskit_circuit_equals_the_pennylane_ansatz(ansatz, layers):
    n = 5
    theta = init_angles(n, layers, 7, ansatz=ansatz)
    ref = probabilities_pennylane(theta, ansatz=ansatz)
    np.testing.assert_allclose(_statevector_probs(ansatz, theta), ref, atol=1e-12, rtol=0)
    np.testing.assert_allclose(np.asarray(probabilities(theta, ansatz)), ref, atol=1e-12)


def test_measured_bits_spell_pennylane_indices():
    """RY(π) on the last wire only (no CNOT fires): every shot is index 1, not 2^(n-1)."""
    n = 3
    theta = np.zeros((1, n))
    theta[0, n - 1] = np.pi
    src = PrimitiveShots("qiskit.aer")
    idx = src.sample(theta[None], 50, np.random.default_rng(0))
    assert np.all(idx == 1)


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_one_aer_job_per_step_matches_exact_probabilities(ansatz):
    n, S = 4, 3000
    theta = init_angles(n, 1, 1, ansatz=ansatz)
    thetas = shifted_angles(theta)
    src = PrimitiveShots("qiskit.aer", ansatz=ansatz)
    idx = src.sample(thetas, S, np.random.default_rng(0))
    assert idx.shape == (len(thetas), S) and len(src.jobs) == 1
    assert src.jobs[0]["circuits"] == len(thetas)
    for b in (0, 1, len(thetas) - 1):
        p = np.asarray(probabilities(thetas[b], ansatz))
        c = np.bincount(idx[b], minlength=2**n)
        keep = p > 1e-12
        assert c[~keep].sum() == 0
        # chi-square with the cells expecting fewer than 5 counts pooled into one
        big = S * p >= 5
        obs, exp = c[big], S * p[big]
        if (~big & keep).any():
            obs, exp = np.append(obs, c[~big].sum()), np.append(exp, S * p[~big].sum())
        assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-4


def test_noisy_aer_is_reproducible_for_a_seed_and_fresh_per_call():
    n = 5
    thetas = shifted_angles(init_angles(n, 1, 2))
    src = PrimitiveShots("qiskit.aer", noise="fake_manila")
    t = src.prepare(n, 1)
    assert sorted(t.final_qubits) == list(range(5)) and t.duration_s > 0
    a = src.sample(thetas, 100, np.random.default_rng(3))
    np.testing.assert_array_equal(a, src.sample(thetas, 100, np.random.default_rng(3)))
    assert not np.array_equal(a, src.sample(thetas, 100, np.random.default_rng(4)))


@pytest.mark.parametrize("execution", ["job", "batch", "session"])
def test_runtime_local_mode_one_job_per_training_step(execution):
    """A fake backend as the mode (and inside Batch/Session): one SamplerV2 job per step."""
    n = 3
    ll = -np.random.default_rng(0).uniform(1, 5, 2**n)
    src = PrimitiveShots("qiskit.remote", backend="fake_manila", execution=execution)
    (run,) = train_sampled(ll, "selbo", lam=1.0, h=1.0, max_steps=2, shots=30, source=src)
    src.close()
    assert len(src.jobs) == 3  # 2 steps + the final unshifted measurement
    assert [j["circuits"] for j in src.jobs] == [2 * n + 1, 2 * n + 1, 1]
    assert all(j["status"] == "done" for j in src.jobs)


def test_failed_job_is_resubmitted_and_finished_ones_are_not(monkeypatch):
    src = PrimitiveShots("qiskit.aer", retries=2)
    thetas = init_angles(3, 1, 0)[None]
    src.sample(thetas, 10, np.random.default_rng(0))  # a finished job
    real = src._sampler
    calls = {"n": 0}

    class Flaky:
        def __init__(self, inner):
            self.inner = inner

        def run(self, pubs, shots):
            calls["n"] += 1
            if calls["n"] == 1:
                raise ConnectionError("lost")
            return self.inner.run(pubs, shots=shots)

    monkeypatch.setattr(src, "_sampler", lambda seed, n: Flaky(real(seed, n)))
    src.sample(thetas, 10, np.random.default_rng(1))
    assert [j["attempt"] for j in src.jobs] == [0, 1] and calls["n"] == 2
    src.retries = 0
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="after 1 attempts"):
        src.sample(thetas, 10, np.random.default_rng(2))


def test_readout_mitigation_inverts_a_known_confusion():
    rng = np.random.default_rng(0)
    n = 3
    p = rng.dirichlet(np.ones(2**n))
    flips = np.array([[0.02, 0.05], [0.1, 0.03], [0.0, 0.2]])
    noisy = p.reshape((2,) * n)
    for i, (e01, e10) in enumerate(flips):
        A = np.array([[1 - e01, e10], [e01, 1 - e10]])
        noisy = np.moveaxis(np.tensordot(A, noisy, axes=([1], [i])), 0, i)
    np.testing.assert_allclose(mitigate(noisy.reshape(-1), flips), p, atol=1e-12)
    # flips estimated from calibration shots
    idx0 = np.array([0b000, 0b100, 0b000, 0b001])
    idx1 = np.array([0b111, 0b011, 0b111, 0b111])
    np.testing.assert_allclose(readout_flips(idx0, idx1, n), [[0.25, 0.25], [0, 0], [0.25, 0]])


def test_calibration_rides_in_the_same_job_and_improves_noisy_estimates():
    n = 4
    theta = init_angles(n, 1, 5)
    src = PrimitiveShots("qiskit.aer", noise="fake_manila")
    idx, flips = src.measure(theta[None], 4000, np.random.default_rng(0), calibrate=True)
    assert len(src.jobs) == 1 and src.jobs[0]["circuits"] == 3
    assert flips.shape == (n, 2) and np.all((flips >= 0) & (flips < 0.2))
    p = np.asarray(probabilities(theta))
    h = np.bincount(idx[0], minlength=2**n) / idx.shape[1]
    raw = 0.5 * np.abs(h - p).sum()
    fixed = 0.5 * np.abs(mitigate(h, flips) - p).sum()
    assert fixed < raw


def test_decode_reads_big_endian_bytes():
    class BA:
        array = np.array([[[1, 2]], [[0, 255]]], dtype=np.uint8)

    np.testing.assert_array_equal(decode(BA()), [[258], [255]])
