"""Bad configurations fail before any job runs, with a message naming the key."""

import pytest
import yaml
from conftest import REPO, snakemake

from qhnet.sweep import exact_arms, resolve_bandwidth, seed_batches


def _write(workdir, mutate):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    mutate(cfg)
    path = workdir / "config" / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _set(path, value):
    def mutate(cfg):
        *head, last = path
        d = cfg
        for k in head:
            d = d[k]
        d[last] = value

    return mutate


def _delete(path):
    def mutate(cfg):
        *head, last = path
        d = cfg
        for k in head:
            d = d[k]
        del d[last]

    return mutate


BAD = [
    ("unknown objective", _set(["objectives"], ["mle", "adam"]), "adam"),
    ("negative lambda", _set(["lambdas"], [1, -0.5]), "-0.5"),
    ("zero bandwidth", _set(["bandwidths"], [0]), "bandwidths"),
    ("bad bandwidth expression", _set(["bandwidths"], ["n/2"]), "n/2"),
    ("empty seed list", _set(["seeds"], []), "seeds"),
    ("unknown dataset", _set(["datasets"], ["spiral"]), "spiral"),
    ("misspelt key", _set(["trainig"], {"lr": 0.1}), "trainig"),
    ("misspelt nested key", _set(["training", "learning_rate"], 0.1), "learning_rate"),
    ("wrong type", _set(["training", "max_steps"], "many"), "max_steps"),
    ("zero lr", _set(["training", "lr"], 0), "lr"),
    ("hidden zero", _set(["model", "hidden"], 0), "hidden"),
    ("negative seed", _set(["seeds"], [0, -1]), "-1"),
    ("landscape lambda not trained", _set(["landscape", "elbo_lam"], 3), "landscape.elbo_lam"),
    ("landscape seed not trained", _set(["landscape", "seed"], 99), "landscape.seed"),
    ("duplicate seeds", _set(["seeds"], [1, 1]), "seeds"),
    ("unknown device", _set(["device"], {"name": "ibm_cloud"}), "ibm_cloud"),
    (
        "unknown fake backend",
        _set(["device"], {"name": "qiskit.aer", "noise": "fake_nowhere"}),
        "fake_nowhere",
    ),
    ("noise backend not fake", _set(["noise_study", "backends"], ["brisbane"]), "brisbane"),
    ("elbo in sampled mode", _set(["sampled", "objectives"], ["elbo"]), "elbo"),
    (
        "remote backend too small",
        _set(["device"], {"name": "qiskit.remote", "backend": "fake_manila"}),
        "has 5 qubits",
    ),
]


@pytest.mark.pipeline
@pytest.mark.parametrize(("case", "mutate", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_fails_before_any_job(workdir, case, mutate, needle):
    bad = _write(workdir, mutate)
    out = snakemake(workdir, "-n", "--cores", "1", "--configfile", str(bad), timeout=120)
    assert out.returncode != 0, out.stdout
    text = out.stdout + out.stderr
    assert needle in text, text[-2000:]
    assert "Building DAG" not in text or "Job stats" not in text
    assert not (workdir / "results").exists()


def test_sweep_grid_has_no_meaningless_arms():
    arms = exact_arms(["mle", "elbo", "selbo"], [0.1, 1], [2, "n/4"], 14)
    names = [a.arm for a in arms]
    assert names.count("mle") == 1
    assert len(arms) == 1 + 2 + 2 * 2
    assert all(a.h is None for a in arms if a.objective != "selbo")
    assert all(a.lam is None for a in arms if a.objective == "mle")
    assert "selbo_lam1_hn4" in names and "elbo_lam0.1" in names


def test_bandwidth_expressions():
    assert resolve_bandwidth("sqrt(n)", 16) == (4.0, "sqrt(n)")
    assert resolve_bandwidth("n/4", 14) == (3.5, "n/4")
    with pytest.raises(ValueError, match="bandwidth must be"):
        resolve_bandwidth("n/3", 14)


def test_seed_batches():
    assert seed_batches(range(5), 2) == {"s0-1": [0, 1], "s2-3": [2, 3], "s4-4": [4]}
    with pytest.raises(ValueError, match="seeds must be a non-empty list"):
        seed_batches([], 2)
