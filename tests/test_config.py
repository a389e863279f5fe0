"""Bad configurations fail before any job runs, with a message naming the key."""

import subprocess
import sys

import pytest
import yaml
from conftest import REPO, clean_env, make_workdir, snakemake

from qhnet.experiments.sweep import arm_from_name, exact_arms, resolve_bandwidth, seed_batches


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
    ("negative hidden", _set(["model", "hidden"], -1), "hidden"),
    ("digits hidden too large", _set(["model", "digits_hidden"], 2), "digits_hidden"),
    ("unknown optimizer", _set(["optimizers"], ["adam", "sgd"]), "sgd"),
    ("unknown ansatz", _set(["model", "ansatz"], "ladder"), "ladder"),
    ("unknown likelihood", _set(["model", "likelihood"], "max"), "max"),
    ("the old absolute tol", _set(["training", "tol"], 1e-4), "tol"),
    ("unknown trainability ansatz", _set(["trainability", "ansatze"], ["ladder"]), "ladder"),
    (
        "datasets_by_ansatz leaves an ansatz no dataset",
        _set(["trainability", "datasets_by_ansatz"], {"ry_chain": ["ring"]}),
        "trainability.datasets_by_ansatz.ry_chain",
    ),
    ("negative seed", _set(["seeds"], [0, -1]), "-1"),
    ("baseline lambda not trained", _set(["baselines", "lams"], [0, 3]), "baselines.lams[1]"),
    ("annealing cools upwards", _set(["baselines", "t_end"], 1.0), "baselines.t_end"),
    ("landscape lambda not trained", _set(["landscape", "elbo_lam"], 3), "landscape.elbo_lam"),
    ("landscape seed not trained", _set(["landscape", "seed"], 99), "landscape.seed"),
    (
        "roughness seed not trained",
        _set(["landscape", "roughness", "seeds"], [0, 99]),
        "landscape.roughness.seeds",
    ),
    (
        "roughness lambda not trained",
        _set(["landscape", "roughness", "elbo_lams"], [1, 7]),
        "landscape.roughness.elbo_lams",
    ),
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
    # NaN and infinity pass a JSON Schema "number": refused everywhere, by key
    ("nan lambda", _set(["lambdas"], [1, float("nan")]), "lambdas[1]': must be a finite"),
    ("inf lambda", _set(["lambdas"], [1, float("inf")]), "lambdas[1]': must be a finite"),
    ("nan lr", _set(["training", "lr"], float("nan")), "training.lr': must be a finite"),
    ("inf span", _set(["landscape", "span"], float("inf")), "landscape.span"),
    # sizes known before any job: a fake backend smaller than the circuit
    ("noise backend too small", _set(["noise_study", "backends"], ["fake_manila"]), "has 5"),
    (
        "aer noise too small",
        _set(["device"], {"name": "qiskit.aer", "noise": "fake_manila"}),
        "has 5",
    ),
    # cross-key rules
    ("sampled lambda not trained", _set(["sampled", "lam"], 3), "sampled.lam"),
    ("sampled bandwidth not trained", _set(["sampled", "bandwidth"], 10), "sampled.bandwidth"),
    ("min_steps above max_steps", _set(["training", "min_steps"], 500), "training.min_steps"),
    (
        "lbfgs min_steps above max_steps",
        _set(["training", "lbfgs"], {"max_steps": 10, "min_steps": 20}),
        "training.lbfgs.min_steps",
    ),
    ("optimizer not swept", _set(["optimizers"], ["adam"]), "training.optimizer"),
    ("digits without a test set", _set(["data", "n_train"], 360), "data.n_train"),
    ("bandwidths resolving to one h", _set(["bandwidths"], [2.5, "n/4"]), "both give h = 2.5"),
    ("too many digits", _set(["lambdas"], [1, 0.1234567]), "6 significant digits"),
    ("noise runs above seeds", _set(["noise_study", "runs_per_arm"], 9), "runs_per_arm"),
    ("results is a file", _set(["results"], "config/test.yaml"), "is a file"),
    (
        "runtime mode off the runtime",
        _set(["device"], {"name": "qiskit.aer", "execution": "session"}),
        "device.execution",
    ),
    (
        "remote plan over the job cap",
        _set(["device"], {"name": "qiskit.remote", "backend": "fake_brisbane", "max_jobs": 100}),
        "device.max_jobs",
    ),
    (
        "noise only with aer",
        _set(["device"], {"name": "simulated", "noise": "fake_torino"}),
        "device.noise",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_refused_by_the_check(tmp_path, case, mutate, needle):
    """Every bad case: the stand-alone check (make check-config) names the key."""
    workdir = make_workdir(tmp_path / "wd")
    bad = _write(workdir, mutate)
    tool = subprocess.run(
        [sys.executable, str(REPO / "scripts/tools/check_config.py"), str(bad)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=clean_env(),
    )
    assert tool.returncode == 1 and needle in tool.stderr, tool.stderr


# One case of each kind also through a real Snakemake run: the workflow calls the same
# check (qhnet.experiments.config) before it builds the DAG.
THROUGH_SNAKEMAKE = [
    b
    for b in BAD
    if b[0]
    in {
        "unknown optimizer",
        "negative seed",
        "landscape seed not trained",
        "noise runs above seeds",
        "remote plan over the job cap",
        "results is a file",
    }
]


@pytest.mark.pipeline
@pytest.mark.parametrize(
    ("case", "mutate", "needle"), THROUGH_SNAKEMAKE, ids=[b[0] for b in THROUGH_SNAKEMAKE]
)
def test_bad_config_fails_before_any_job(workdir, case, mutate, needle):
    """A real (not dry) run: if a check were missing, jobs would start and write results/."""
    bad = _write(workdir, mutate)
    out = snakemake(workdir, "--cores", "1", "--configfile", str(bad), timeout=300)
    assert out.returncode != 0, out.stdout
    text = out.stdout + out.stderr
    assert needle in text, text[-2000:]
    assert "Building DAG of jobs" not in text, text[-2000:]
    assert not (workdir / "results").exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("lambdas: [1, 2\n", ":2:1: invalid YAML"),
        ("data:\n\tn_train: 3\n", ":2:1: invalid YAML"),
        ("- a\n- b\n", "must be a mapping"),
    ],
)
def test_yaml_errors_name_file_and_line(tmp_path, text, where):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts/tools/check_config.py"), str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert f"{path}{where}" in out.stderr or (where in out.stderr and str(path) in out.stderr)


def test_the_shipped_configs_pass_the_check():
    for name in ("config.yaml", "test.yaml", "remote-test.yaml"):
        out = subprocess.run(
            [sys.executable, str(REPO / "scripts/tools/check_config.py"), f"config/{name}"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert out.returncode == 0, out.stderr


def test_arm_names_round_trip():
    for arm in exact_arms(
        ["mle", "elbo", "selbo"], [0.1, 1, 1000], [2, "sqrt(n)", "n/4", 10.5], 14
    ):
        assert arm_from_name(arm.arm, 14) == arm
    for bad in ("adam", "elbo", "mle_lam1", "selbo_lam1", "elbo_lam1.0", "selbo_lam1_hn3"):
        with pytest.raises(ValueError, match="arm"):
            arm_from_name(bad, 14)


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


def test_digit_image_counts_match_scikit_learn():
    import numpy as np
    from sklearn.datasets import load_digits

    from qhnet.experiments.config import DIGIT_IMAGES
    from qhnet.model.datasets import DIGIT_PAIRS

    target = load_digits().target
    assert DIGIT_IMAGES == {k: int(np.isin(target, v).sum()) for k, v in DIGIT_PAIRS.items()}


def test_objective_arm_is_the_sweeps_name():
    """The arm a baseline at λ sits beside is named as the sweep names it."""
    from qhnet.experiments.sweep import objective_arm

    assert objective_arm(0) == "mle"
    names = {a.arm for a in exact_arms(["mle", "elbo"], [0.1, 1, 1000], ["n/4"], 14)}
    assert {objective_arm(lam) for lam in (0, 0.1, 1, 1000)} == names


def test_arm_groups_cover_the_grid_once_with_one_objective_and_h_each():
    """Every exact arm is in exactly one training job's group; a group holds one
    objective (and one bandwidth for SELBO) and every λ of it, in the grid's order."""
    from qhnet.experiments.sweep import arm_group, arm_groups, sampled_arm

    arms = exact_arms(["mle", "elbo", "selbo"], [0.1, 1, 10], [2, "sqrt(n)", "n/4"], 14)
    groups = arm_groups(arms)
    assert list(groups) == ["mle", "elbo", "selbo_h2", "selbo_hsqrtn", "selbo_hn4"]
    members = [a for g in groups.values() for a in g]
    assert len(members) == len(arms) and set(members) == set(arms)
    for name, members in groups.items():
        assert len({(a.objective, a.h_label) for a in members}) == 1
        assert all(arm_group(a) == name for a in members)
    assert [a.lam for a in groups["selbo_hn4"]] == [0.1, 1, 10]
    with pytest.raises(ValueError, match="only exact-mode arms"):
        arm_group(sampled_arm("selbo", 10, "n/4", 14))


def _rb(design="one_at_a_time"):
    return {
        "enabled": True,
        "design": design,
        "base": {"ansatz": "ry_chain", "layers": 1, "n_train": 100, "likelihood": "sum",
                 "optimizer": "lbfgs"},
        "vary": {"ansatz": ["brick"], "layers": [1, 2, 3], "n_train": [30, 300],
                 "likelihood": ["mean"], "optimizer": ["adam"]},
    }  # fmt: skip


def test_robustness_cells_one_at_a_time_and_full():
    """The base first; one factor changed per cell (a listed base value is not repeated);
    full: every combination, each exactly once."""
    from qhnet.experiments.config import CELL_KEYS, cell_path, robustness_cells

    one = robustness_cells(_rb())
    base = _rb()["base"]
    assert one[0] == base and len(one) == 1 + 1 + 2 + 2 + 1 + 1
    for c in one[1:]:
        assert sum(c[k] != base[k] for k in CELL_KEYS) == 1
    full = robustness_cells(_rb("full"))
    assert len(full) == 2 * 3 * 3 * 2 * 2 == len({cell_path(c) for c in full})
    assert full[0] == base
    assert cell_path(base) == "ry_chain/L1/n100/sum/lbfgs"


def test_robustness_training_size_must_leave_a_digits_test_set(tmp_path):
    """Checked with the rest of the configuration, naming the key and the limit."""
    sys.path.insert(0, str(REPO / "scripts" / "tools"))
    from check_config import resolve

    cfg = {"datasets": ["digits01"], "robustness": _rb() | {"vary": {"n_train": [400]}}}
    path = tmp_path / "rb.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit, match=r"robustness.vary.n_train.*< 360"):
        resolve(path)
    cfg["robustness"]["vary"]["n_train"] = [300]
    path.write_text(yaml.safe_dump(cfg))
    assert resolve(path)["robustness"]["design"] == "one_at_a_time"  # schema default


@pytest.mark.parametrize(
    "schedules, n_val, match",
    [
        ([{"kind": "linear", "start": 1000, "end": 0.1}], 0, r"data.n_val.*must be > 0"),
        ([{"kind": "linear", "start": 1, "end": 10}], 100,
         r"robustness.schedules\[0\].*end λ must be < start λ"),
        ([{"kind": "cosine", "start": 10, "end": 1}], 100, r"robustness.schedules"),
        ([{"kind": "linear", "start": 10.0000001, "end": 1}], 100,
         r"robustness.schedules\[0\].start.*significant digits"),
        ([{"kind": "linear", "start": 10, "end": 1}] * 2, 100, r"same arm"),
    ],
)  # fmt: skip
def test_bad_robustness_schedules_are_refused_naming_the_key(tmp_path, schedules, n_val, match):
    sys.path.insert(0, str(REPO / "scripts" / "tools"))
    from check_config import resolve

    cfg = {"data": {"n_val": n_val}, "robustness": _rb() | {"schedules": schedules}}
    path = tmp_path / "rb.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit, match=match):
        resolve(path)
    cfg["robustness"]["schedules"] = [{"kind": "exponential", "start": 1000, "end": 0.1}]
    cfg["data"]["n_val"] = 100
    path.write_text(yaml.safe_dump(cfg))
    assert resolve(path)["robustness"]["anneal_frac"] == 0.5  # schema default


def test_selbo_ablation_needs_the_sampled_selbo_arm(tmp_path):
    sys.path.insert(0, str(REPO / "scripts" / "tools"))
    from check_config import resolve

    cfg = {"sampled": {"enabled": False, "ablation": {"enabled": True}}}
    path = tmp_path / "ab.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit, match=r"sampled.ablation.enabled.*'selbo' in sampled"):
        resolve(path)
    cfg["sampled"] = {"ablation": {"enabled": True, "prior_samples": [1]}}
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit, match=r"\['ablation'\]\['prior_samples'\]"):
        resolve(path)
    cfg["sampled"] = {"prior_samples": "exact", "ablation": {"enabled": True}}
    path.write_text(yaml.safe_dump(cfg))
    assert resolve(path)["sampled"]["ablation"]["shots"] == [10, 100]
