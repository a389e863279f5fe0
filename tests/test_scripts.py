"""The pipeline steps as a user runs them by hand: bad arguments stop at once, clearly."""

import subprocess
import sys

import pytest
from conftest import REPO

from qhnet.model.binn import enumerate_tables, save_table
from qhnet.model.datasets import make_dataset, save_dataset

SCRIPTS = REPO / "scripts"
STEPS = sorted(p.stem for p in SCRIPTS.glob("*.py"))


def run(step: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{step}.py"), *args], capture_output=True, text=True
    )


@pytest.mark.parametrize("step", STEPS)
def test_every_option_has_a_help_line(step):
    """Each step's parser, inspected: every option it declares carries a help text."""
    code = (
        "import runpy, sys\n"
        "import qhnet.cli as cli\n"
        "def report(self, args=None, namespace=None):\n"
        "    bare = [a.option_strings or [a.dest] for a in self._actions\n"
        "            if not a.help and a.dest != 'help']\n"
        "    print('BARE', bare, 'N', len(self._actions)); sys.exit(0)\n"
        "cli.StepParser.parse_args = report\n"
        f"sys.argv = [{str(SCRIPTS / (step + '.py'))!r}]\n"
        f"runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "BARE []" in out.stdout, out.stdout
    assert int(out.stdout.split("N")[-1]) > 2


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    ds = make_dataset("moons", n_train=20, n_test=20, seed=0)
    save_dataset(ds, d / "moons.parquet")
    save_table(enumerate_tables(ds, hidden=1), d / "moons.npz")
    return d


def _train(inputs, tmp_path, *extra):
    base = [
        "--dataset", str(inputs / "moons.parquet"), "--table", str(inputs / "moons.npz"),
        "--ansatz", "ry_chain", "--layers", "1", "--likelihood", "sum", "--optimizer", "adam",
        "--lr", "0.05", "--max-steps", "20", "--min-steps", "0", "--window-frac", "0.5",
        "--rtol", "0", "--gtol", "0", "--record-every", "5", "--memory", "10",
        "--checkpoint-dir", str(tmp_path / "ck"), "--checkpoint-every", "10",
        "--metrics", str(tmp_path / "m.parquet"), "--trajectory", str(tmp_path / "t.parquet"),
    ]  # fmt: skip
    return run("train", *base, *extra)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--arms", "x", "--seeds", "0"], "arm must be of the form"),
        (["--arms", "elbo", "--seeds", "0"], "elbo takes a λ"),
        (["--arms", "mle", "--seeds", "0", "0"], "must not repeat a seed"),
        (["--arms", "mle", "--seeds", "-1"], "--seeds"),
        (["--arms", "mle", "mle", "--seeds", "0"], "must not repeat an arm"),
        (["--arms", "mle", "selbo-sampled_lam1_hn4", "--seeds", "0"], "all arms must be of one"),
        (["--arms", "selbo-sampled_lam1_hn4", "--seeds", "0"], "sampled mode needs"),
    ],
)
def test_train_refuses_bad_arguments_before_training(inputs, tmp_path, extra, needle):
    out = _train(inputs, tmp_path, *extra)
    assert out.returncode == 2, out.stdout
    assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not list(tmp_path.iterdir())


def test_unwritable_output_is_refused_before_training(inputs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = run(
        "train", "--dataset", str(inputs / "moons.parquet"), "--table", str(inputs / "moons.npz"),
        "--arms", "mle", "--seeds", "0", "--ansatz", "ry_chain", "--layers", "1",
        "--likelihood", "sum", "--optimizer", "adam", "--lr", "0.05", "--max-steps", "20",
        "--min-steps", "0", "--window-frac", "0.5", "--rtol", "0", "--gtol", "0",
        "--record-every", "5",
        "--metrics", str(blocker / "m.parquet"), "--trajectory", str(tmp_path / "t.parquet"),
    )  # fmt: skip
    assert out.returncode == 2 and "not a writable directory" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_train_by_hand_writes_one_row_per_seed(inputs, tmp_path):
    import pandas as pd

    out = _train(inputs, tmp_path, "--arms", "elbo_lam1", "--seeds", "0", "3")
    assert out.returncode == 0, out.stderr
    m = pd.read_parquet(tmp_path / "m.parquet")
    assert list(m["seed"]) == [0, 3] and set(m["arm"]) == {"elbo_lam1"}
    assert not (tmp_path / "ck").exists()  # checkpoints removed once the outputs exist


def test_arms_trained_together_give_the_numbers_of_each_alone(inputs, tmp_path):
    """One process training several arms (one compilation, shared predictive
    matrices) writes, for each arm, exactly what training it alone writes."""
    import pandas as pd

    group, alone = tmp_path / "group", tmp_path / "alone"
    group.mkdir(), alone.mkdir()
    arms = ["elbo_lam1", "elbo_lam10", "mle"]
    out = _train(inputs, group, "--arms", *arms, "--seeds", "0", "3")
    assert out.returncode == 0, out.stderr
    out = _train(inputs, alone, "--arms", "elbo_lam10", "--seeds", "0", "3")
    assert out.returncode == 0, out.stderr
    m, m1 = (pd.read_parquet(d / "m.parquet") for d in (group, alone))
    t, t1 = (pd.read_parquet(d / "t.parquet") for d in (group, alone))
    assert list(m["arm"]) == [a for a in arms for _ in (0, 3)]
    timing = ["seconds", "compile_seconds", "seconds_to_optimum"]
    pick = m[m["arm"] == "elbo_lam10"].drop(columns=timing).reset_index(drop=True)
    pd.testing.assert_frame_equal(pick, m1.drop(columns=timing))
    pd.testing.assert_frame_equal(
        t[t["arm"] == "elbo_lam10"].reset_index(drop=True), t1.reset_index(drop=True)
    )


@pytest.mark.parametrize(
    ("step", "args", "needle"),
    [
        ("make_dataset", ["--name", "spiral"], "invalid choice"),
        ("make_dataset", ["--name", "moons", "--n-train", "1"], "--n-train"),
        ("enumerate_binns", ["--dataset", "nowhere.parquet"], "no such file"),
        ("figures", ["--runs", "nowhere.parquet"], "no such file"),
    ],
)
def test_other_steps_refuse_bad_arguments(step, args, needle, tmp_path):
    out = run(step, *args)
    assert out.returncode == 2 and needle in out.stderr, out.stderr
