"""λ schedules: the trainer's λ per step, the arms that name them, and the table that
compares them (and a validation-chosen λ) with MLE and the best fixed λ."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qhnet.analysis.claims import Settings, claims
from qhnet.analysis.schedules import (
    VALIDATION_STRATEGY,
    schedule_summary,
    schedule_table,
    schedule_text,
    validation_choice,
)
from qhnet.engine.circuit import init_angles, probabilities
from qhnet.engine.objectives import objective_terms
from qhnet.experiments.sweep import (
    arm_from_name,
    arm_group,
    arm_groups,
    check_schedule,
    schedule_arms,
)
from qhnet.training import train
from qhnet.training.exact import scheduled_lambda

S = Settings()


# --------------------------------------------------------------------------- trainer


@pytest.mark.parametrize("kind", [0, 1])
def test_scheduled_lambda_against_closed_forms(kind):
    lam0, lam1, T = 1000.0, 0.1, 40
    for k in range(0, 60):
        t = min(k / T, 1.0)
        want = lam0 + (lam1 - lam0) * t if kind == 0 else lam0 * (lam1 / lam0) ** t
        got = float(scheduled_lambda(k, lam0, lam1, kind, T))
        assert got == pytest.approx(want, rel=1e-12)
    assert float(scheduled_lambda(T, lam0, lam1, kind, T)) == lam1  # exactly the end from T on


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
@pytest.mark.parametrize("schedule", ["linear", "exponential"])
def test_scheduled_run_records_the_objective_at_each_steps_lambda(schedule, optimizer):
    """The trajectory's objective at step k is E[LL] + λ_k·H at the recorded angles,
    the run does not stop before the anneal ends, and the kept (best) iterate is one
    at the final λ."""
    rng = np.random.default_rng(3)
    ll = -rng.uniform(5, 30, 2**5)
    max_steps, frac = 120, 0.5
    T = math.ceil(frac * max_steps)
    (run,) = train(ll, "elbo", lam=50.0, schedule=schedule, lam_end=0.5, anneal_frac=frac,
                   optimizer=optimizer, ansatz="ry_chain", layers=1, seeds=[0],
                   max_steps=max_steps, record_every=5, gtol=1e-3, rtol=1e-3)  # fmt: skip
    tr = run.trajectory
    kind = 0 if schedule == "linear" else 1
    for k, ell, ent, obj in zip(tr["step"][:-1], tr["ell"][:-1], tr["entropy"][:-1],
                                tr["objective"][:-1], strict=True):  # fmt: skip
        lam_k = float(scheduled_lambda(k, 50.0, 0.5, kind, T))
        assert obj == pytest.approx(ell + lam_k * ent, rel=1e-7)
    assert run.steps >= T  # the stopping rule waits for the anneal
    assert run.best_step >= T
    q = np.asarray(probabilities(run.theta_best, "ry_chain"))
    j = float(objective_terms(q, ll, "elbo", 0.5, None)[0])
    assert run.best_objective == pytest.approx(j, rel=1e-9)
    # the final record is at the end λ
    assert tr["objective"][-1] == pytest.approx(tr["ell"][-1] + 0.5 * tr["entropy"][-1], rel=1e-7)


def test_a_schedule_starts_from_the_seeds_angles_and_differs_from_fixed_lambda():
    ll = -np.random.default_rng(1).uniform(5, 30, 2**4)
    kw = dict(optimizer="adam", ansatz="ry_chain", layers=1, seeds=[2], max_steps=80)
    (fixed,) = train(ll, "elbo", lam=0.5, **kw)
    (sched,) = train(ll, "elbo", lam=50.0, schedule="exponential", lam_end=0.5, **kw)
    np.testing.assert_array_equal(sched.theta0, init_angles(4, 1, 2, ansatz="ry_chain"))
    np.testing.assert_array_equal(sched.theta0, fixed.theta0)
    assert not np.allclose(sched.theta, fixed.theta)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(objective="mle", schedule="linear", lam_end=0.1), "MLE has no λ"),
        (dict(lam=1.0, schedule="linear", lam_end=2.0), "lam_end must be < lam"),
        (dict(lam=1.0, schedule="cosine", lam_end=0.1), "schedule"),
        (dict(lam=1.0, schedule="linear", lam_end=0.1, anneal_frac=1.0), "anneal_frac"),
        (dict(lam=1.0, lam_end=0.1), "pass schedule="),
    ],
)
def test_bad_schedules_are_refused(kw, match):
    kw = {"objective": "elbo", **kw}
    with pytest.raises(ValueError, match=match):
        train(np.zeros(4), kw.pop("objective"), ansatz="ry_chain", layers=1, **kw)


# --------------------------------------------------------------------------- arms


def test_schedule_arms_names_round_trip_and_groups():
    schedules = [
        {"kind": "linear", "start": 1000, "end": 0.1},
        {"kind": "exponential", "start": 100, "end": 1},
    ]
    arms = schedule_arms(["mle", "elbo", "selbo"], schedules, [2, "n/4"], 14)
    assert [a.arm for a in arms] == [
        "elbo_lam1000_lin0.1", "selbo_lam1000_lin0.1_h2", "selbo_lam1000_lin0.1_hn4",
        "elbo_lam100_exp1", "selbo_lam100_exp1_h2", "selbo_lam100_exp1_hn4",
    ]  # fmt: skip
    for a in arms:
        assert arm_from_name(a.arm, 14) == a
    assert list(arm_groups(arms)) == ["elbo_sched", "selbo_sched_h2", "selbo_sched_hn4"]
    assert arm_group(arm_from_name("elbo_lam1", 14)) == "elbo"  # fixed λ: its own group


@pytest.mark.parametrize(
    "name, match",
    [
        ("elbo_lam0.1_exp1", "end λ must be < start λ"),
        ("mle_lin1", "exact-mode ELBO and SELBO only"),
        ("selbo-sampled_lam10_exp1_hn4", "exact-mode ELBO and SELBO only"),
        ("elbo_lam10_cos1", "arm must be of the form"),
    ],
)
def test_bad_schedule_arm_names(name, match):
    with pytest.raises(ValueError, match=match):
        arm_from_name(name, 14)


def test_check_schedule_names_what_is_wrong():
    with pytest.raises(ValueError, match="'linear', 'exponential'"):
        check_schedule("step", 10, 1)
    with pytest.raises(ValueError, match="end λ"):
        check_schedule("linear", 10, 0)


# --------------------------------------------------------------------------- the table


def _runs(rng, n_seeds, effects, val_noise=0.0):
    """One dataset, ELBO family: MLE, fixed λ ∈ {1, 10}, one schedule arm.

    ``effects``: arm → mean shift of test accuracy over MLE; each seed has its own
    luck shared by every arm (the shared initial angles), and validation accuracy
    is test accuracy plus ``val_noise``.
    """
    luck = rng.normal(0, 0.03, n_seeds)
    rows = []
    for arm, (obj, lam, sched, shift) in effects.items():
        acc = 0.8 + luck + shift + rng.normal(0, 0.005, n_seeds)
        val = acc + rng.normal(0, val_noise, n_seeds) if val_noise else acc
        for s in range(n_seeds):
            rows.append(dict(dataset="moons", arm=arm, objective=obj, mode="exact", lam=lam,
                             h=np.nan, h_label="", schedule=sched,
                             lam_end=0.1 if sched else np.nan, seed=s,
                             acc_test_expected=acc[s], acc_val_expected=val[s]))  # fmt: skip
    return pd.DataFrame(rows)


def _grid(sched_shift, best_shift=0.05):
    return {
        "mle": ("mle", np.nan, "", 0.0),
        "elbo_lam1": ("elbo", 1.0, "", best_shift),
        "elbo_lam10": ("elbo", 10.0, "", 0.0),
        "elbo_lam1000_exp0.1": ("elbo", 1000.0, "exponential", sched_shift),
    }


def test_schedule_table_verdicts_follow_the_truth():
    rng = np.random.default_rng(0)
    good = schedule_table(_runs(rng, 30, _grid(0.05)), settings=S)
    row = good[good["strategy"] == "exponential λ 1000 → 0.1"].iloc[0]
    assert row["best_fixed_lam"] == 1.0
    assert row["vs_mle_verdict"] == "supported"  # better than MLE by 0.05
    assert row["vs_best_fixed_verdict"] == "supported"  # as good as the best λ
    bad = schedule_table(_runs(rng, 30, _grid(-0.05)), settings=S)
    row = bad[bad["strategy"] == "exponential λ 1000 → 0.1"].iloc[0]
    assert row["vs_mle_verdict"] == "refuted"
    assert row["vs_best_fixed_verdict"] == "refuted"  # 0.1 below the best λ
    val = good[good["strategy"] == VALIDATION_STRATEGY].iloc[0]
    assert val["n_runs"] == 30 and val["vs_best_fixed_verdict"] == "supported"


def test_schedule_table_calibrated_on_null_worlds():
    """A schedule exactly as good as MLE (and as the best fixed λ): "better than MLE"
    is supported, and "non-inferior to the best λ" refuted, in at most α of worlds
    (plus simulation error)."""
    rng = np.random.default_rng(1)
    worlds = 200
    wrong_mle = wrong_best = 0
    for _ in range(worlds):
        t = schedule_table(_runs(rng, 20, _grid(0.0, best_shift=0.0)), settings=S)
        r = t[t["strategy"] != VALIDATION_STRATEGY].iloc[0]
        wrong_mle += r["vs_mle_verdict"] == "supported"
        wrong_best += r["vs_best_fixed_verdict"] == "refuted"
    bound = S.alpha + 3 * math.sqrt(S.alpha * (1 - S.alpha) / worlds)
    assert wrong_mle / worlds <= bound
    assert wrong_best / worlds <= bound


def test_validation_choice_picks_the_best_validation_run_per_seed_smaller_lambda_on_ties():
    fixed = pd.DataFrame({"seed": [0, 0, 1, 1, 2, 2], "lam": [1.0, 10.0] * 3,
                          "acc_val_expected": [0.7, 0.8, 0.9, 0.6, 0.5, 0.5],
                          "acc_test_expected": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})  # fmt: skip
    got = validation_choice(fixed)
    assert got["lam"].tolist() == [10.0, 1.0, 1.0]
    assert got["acc_test_expected"].tolist() == [0.2, 0.3, 0.5]
    with pytest.raises(ValueError, match="data.n_val"):
        validation_choice(fixed.assign(acc_val_expected=np.nan))


def test_schedule_arms_never_enter_the_claims():
    rng = np.random.default_rng(2)
    runs = _runs(rng, 10, _grid(0.05))
    fixed_only = runs[runs["schedule"] == ""]
    a, b = claims(runs, settings=S), claims(fixed_only, settings=S)
    pd.testing.assert_frame_equal(a, b)


def test_summary_and_words_count_the_verdicts():
    rng = np.random.default_rng(4)
    t = schedule_table(_runs(rng, 30, _grid(0.05)), settings=S)
    summary = schedule_summary(t)
    assert summary["comparisons"].tolist() == [1, 1]
    text = schedule_text(t)
    assert "**exponential λ 1000 → 0.1**: better than MLE in 1 of 1" in text
    assert schedule_text(t.iloc[:0]) == "No λ schedules were trained."


def test_schedule_table_refuses_runs_without_schedule_column():
    with pytest.raises(ValueError, match="'schedule'"):
        schedule_table(_runs(np.random.default_rng(0), 5, _grid(0.0)).drop(columns="schedule"))
