"""Devices: names are validated, Aer and IBM paths run offline, the IBM token never leaks."""

import logging
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from qhnet.devices import backends as devices
from qhnet.devices.catalog import FAKE_BACKEND_QUBITS
from qhnet.devices.shots import DeviceShots
from qhnet.engine.circuit import init_angles, probabilities
from qhnet.experiments.noise import noise_study
from qhnet.training.sampled import SimulatedShots, train_sampled

TOKEN = "qhnet-secret-token-XYZ"

# qiskit-ibm-runtime's own transpiler plugin warns about itself on every fake-backend run
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:stevedore.*")


def test_fake_backend_catalogue_matches_the_installed_provider():
    """The DAG-time catalogue (no Qiskit) lists exactly the installed fake backends, sizes too."""
    installed = {name: cls().num_qubits for name, cls in devices._fake_classes().items()}
    assert installed == FAKE_BACKEND_QUBITS
    assert devices.fake_backend("fake_manila").num_qubits == 5


def test_importing_the_package_does_not_import_qiskit():
    code = (
        "import sys, qhnet.devices.backends, qhnet.devices.shots, qhnet.training; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('qiskit', 'qiskit_aer', "
        "'qiskit_ibm_runtime', 'pennylane_qiskit')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        (("nope",), {}, "device must be one of 'default.qubit', 'lightning.qubit', 'qiskit.aer'"),
        (("qiskit.aer",), {"noise": "fake_nowhere"}, "unknown fake backend 'fake_nowhere'.*fake_"),
        (("qiskit.aer",), {"noise": "brisbane"}, "fake backend name .*fake_brisbane"),
        (("default.qubit",), {"noise": "fake_manila"}, "noise is only available on 'qiskit.aer'"),
        (("qiskit.aer",), {"backend": "fake_manila"}, "backend is only used by 'qiskit.remote'"),
        (("qiskit.remote",), {"backend": "fake_nowhere"}, "unknown fake backend.*fake_torino"),
    ],
)
def test_unknown_names_raise_with_allowed_values(args, kw, match):
    with pytest.raises(ValueError, match=match):
        devices.check_device(*args, **kw)
    with pytest.raises(ValueError, match=match):
        devices.make_device(*args, 3, **kw)


def test_device_shots_validates_at_construction():
    with pytest.raises(ValueError, match="device must be one of"):
        DeviceShots("qiskit.nope")


def _chi2_ok(idx, p, n):
    c = np.bincount(idx, minlength=2**n)
    keep = p > 1e-12
    assert c[~keep].sum() == 0
    return stats.chisquare(c[keep], len(idx) * p[keep] / p[keep].sum()).pvalue > 1e-4


@pytest.mark.parametrize(
    ("name", "ansatz"),
    [("qiskit.aer", "ry_chain"), ("lightning.qubit", "ry_chain"), ("qiskit.aer", "brick")],
)
def test_ideal_devices_match_exact_probabilities(name, ansatz):
    n, S = 4, 4000
    thetas = np.stack([init_angles(n, 2, s, ansatz) for s in range(2)])
    idx = DeviceShots(name, ansatz=ansatz).sample(thetas, S, np.random.default_rng(0))
    assert idx.shape == (2, S) and idx.dtype == np.int64
    for b in range(2):
        assert _chi2_ok(idx[b], np.asarray(probabilities(thetas[b], ansatz)), n)


def test_aer_seed_is_fresh_per_call_and_reproducible():
    src = DeviceShots("qiskit.aer")
    th = init_angles(4, 1, 0)[None]
    a = src.sample(th, 200, np.random.default_rng(1))
    np.testing.assert_array_equal(a, src.sample(th, 200, np.random.default_rng(1)))
    assert not np.array_equal(np.sort(a), np.sort(src.sample(th, 200, np.random.default_rng(2))))


def test_aer_with_fake_backend_noise_runs_at_small_n():
    n, S = 4, 2000
    theta = init_angles(n, 1, 3)
    src = DeviceShots("qiskit.aer", noise="fake_manila")
    idx = src.sample(theta[None], S, np.random.default_rng(0))
    assert idx.shape == (1, S) and idx.min() >= 0 and idx.max() < 2**n
    p = np.asarray(probabilities(theta))
    tv = 0.5 * np.abs(np.bincount(idx[0], minlength=2**n) / S - p).sum()
    assert tv < 0.25  # noisy but recognisably the same circuit


def test_ecr_noise_model_covers_both_directions():
    """Brisbane's ECR errors are directional; the model must cover every ansatz CNOT."""
    n = 14
    pairs = [(i, i + 1) for i in range(n - 1)]
    model = devices.noise_model("fake_brisbane", n)
    ecr = model._local_quantum_errors["ecr"]  # no public accessor for per-qubit errors
    for a, b in pairs:
        assert (a, b) in ecr and (b, a) in ecr
    assert devices.coupled_fraction("fake_brisbane", pairs) == 1.0


def test_remote_runs_offline_on_a_fake_backend_by_name_and_object():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    n, S = 3, 1000
    thetas = np.stack([init_angles(n, 1, s) for s in range(2)])
    for backend in ("fake_manila", FakeManilaV2()):
        src = DeviceShots("qiskit.remote", backend=backend)
        idx = src.sample(thetas, S, np.random.default_rng(0))
        assert idx.shape == (2, S)
        np.testing.assert_array_equal(idx, src.sample(thetas, S, np.random.default_rng(0)))
        for b in range(2):
            p = np.asarray(probabilities(thetas[b]))
            assert 0.5 * np.abs(np.bincount(idx[b], minlength=2**n) / S - p).sum() < 0.2


def test_remote_training_and_noise_study_offline_do_not_leak_the_token(monkeypatch, capfd, caplog):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:fake-instance")
    caplog.set_level(logging.DEBUG)
    n = 3
    ll = -np.random.default_rng(0).uniform(1, 5, 2**n)
    src = DeviceShots("qiskit.remote", backend="fake_manila")
    (run,) = train_sampled(ll, "selbo", lam=1.0, h=1.0, max_steps=1, shots=50, source=src)
    rows = noise_study(
        [run.theta], np.linspace(0, 1, 2**n), sources={"remote": src}, shots=100, seed=0
    )
    text = repr(src) + repr(rows) + repr(run)
    out, err = capfd.readouterr()
    assert TOKEN not in out + err + caplog.text + text
    for rec in caplog.records:
        assert TOKEN not in rec.getMessage()


def test_ibm_service_errors_are_redacted(monkeypatch):
    """A service that echoes the token in its error must not leak it through us."""
    import qiskit_ibm_runtime

    seen = {}

    class EchoingService:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise RuntimeError(f"bad credentials for token {TOKEN}")

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:abc")
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", EchoingService)
    with pytest.raises(RuntimeError) as info:
        devices.resolve_backend("ibm_brisbane", 3)
    assert seen == {"channel": "ibm_quantum_platform", "instance": "crn:v1:abc"}
    assert "token" not in seen
    import traceback

    tb = "".join(traceback.format_exception(info.value))
    assert TOKEN not in tb and "***" in tb


def test_noise_study_rows_and_ideal_agreement():
    n = 4
    thetas = [init_angles(n, 1, s) for s in range(2)]
    acc = np.random.default_rng(0).uniform(0, 1, 2**n)
    rows = noise_study(thetas, acc, backends=[None, "fake_manila"], shots=3000, seed=1)
    assert len(rows) == 4
    assert {r["source"] for r in rows} == {"ideal", "fake_manila"}
    for r in rows:
        assert r["acc_exact"] == pytest.approx(
            float(np.asarray(probabilities(thetas[r["run"]])) @ acc)
        )
        if r["source"] == "ideal":
            assert abs(r["acc_delta"]) < 4 * r["acc_se"]
        else:
            assert r["coupled_fraction"] == 1.0  # manila couples 0-1-2-3(-4)
    (single,) = noise_study(
        [thetas[0]], acc, sources={"simulated": SimulatedShots()}, shots=2000, seed=0
    )
    assert abs(single["acc_delta"]) < 4 * single["acc_se"]


def test_noisy_aer_is_reproducible_for_a_seed():
    """Aer's shot branching gave different shots for the same seed at n = 10: it must stay off."""
    n = 10
    thetas = [init_angles(n, 1, s) for s in range(2)]
    acc = np.linspace(0, 1, 2**n)
    a = noise_study(thetas, acc, backends=["fake_brisbane"], shots=200, seed=3)
    b = noise_study(thetas, acc, backends=["fake_brisbane"], shots=200, seed=3)
    assert [r["acc_sampled"] for r in a] == [r["acc_sampled"] for r in b]
