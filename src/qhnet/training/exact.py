"""Exact-mode training: J(θ) from the statevector, Adam or L-BFGS, a stated stopping rule.

``train(table, ...)`` is the public entry point, for the pipeline's enumeration
tables and for any user's own cost table of length 2^n (see docs/training.md).

One compiled loop (``jax.lax.while_loop``) per (objective, ansatz, optimiser,
angle shape, table size, buffer sizes) serves every seed, λ, h, learning rate,
table, stopping setting and run length: those are traced arguments, and the
recorded shapes are padded to buckets (powers of two) so a run that stops
early reuses the same executable. Python is entered once per checkpoint
interval, not per step.

Stopping rule (both optimisers; a step is one Adam step or one L-BFGS
iteration). Let R = max(table) − min(table), the table's range, so the test is
the same for a table and for any affine rescaling of it (a mean loss, a summed
log-likelihood, a cost in other units). After step s (θ_s the angles before it,
J_s = J(θ_s)) the run has converged when s ≥ ``min_steps`` and either

- the objective moved by at most ``rtol``·R over the last ``window`` =
  ⌈window_frac·max_steps⌉ steps: |J_s − J_(s−window)| ≤ rtol·R (needs s > window), or
- the gradient is small: max_i |∂J/∂θ_i (θ_s)| ≤ gtol·R;

otherwise it stops after ``max_steps``. The best iterate by J (over θ_0 … θ_steps)
is kept and returned beside the last, with its step. Per run are recorded the
steps used, the test that fired, and the first step at which the mode BiNN
(argmax q) is in the optimum set (the table's entries tied at its best value,
or the indices passed as ``optimum``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qhnet.engine.circuit import DEFAULT_ANSATZ, born, check_ansatz, check_n_qubits, init_angles
from qhnet.engine.objectives import (
    check_objective,
    mmd2_uniform,
    objective_terms,
    reference_bandwidth,
)
from qhnet.model.binn import optimum_indices
from qhnet.training.checkpoint import Checkpoint, fingerprint, run_checkpoint_path
from qhnet.training.optimisers import check_optimizer, init_state, make_optimizer
from qhnet.validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_seeds,
    check_table,
)

TRAJECTORY_COLUMNS = ("step", "objective", "ell", "entropy", "mmd2_ref", "acc_train", "acc_test")

#: The settings ``train`` uses when not told otherwise (the benchmark's best;
#: see docs/training.md).
DEFAULTS: dict[str, Any] = {
    "optimizer": "lbfgs",
    "ansatz": "brick",
    "layers": 4,
    "lr": 0.05,
    "max_steps": {"adam": 3000, "lbfgs": 500},
    "min_steps": {"adam": 500, "lbfgs": 0},
    "window_frac": 0.1,
    "rtol": 1e-8,
    "gtol": 1e-8,
    "memory": 10,
    "record_every": 10,
}

STOP_REASONS = ("max_steps", "rtol", "gtol")


@dataclass
class RunResult:
    """One training run: start, last and best angles, steps used and its trajectory.

    ``objective`` is J at the last angles ``theta``; ``best_objective`` the best J
    seen, at ``theta_best`` after ``best_step`` steps. ``steps_to_optimum`` is the
    first step whose mode BiNN is in the optimum set (None if never);
    ``seconds_to_optimum`` prorates the run's time by steps. With
    ``maximize=False`` objective values are in the table's units (minimised).
    """

    seed: int
    theta0: np.ndarray
    theta: np.ndarray
    steps: int
    converged: bool
    objective: float
    trajectory: dict[str, np.ndarray] = field(repr=False)
    theta_best: np.ndarray | None = None
    best_objective: float = math.nan
    best_step: int = -1
    steps_to_optimum: int | None = None
    seconds: float = math.nan
    seconds_to_optimum: float = math.nan
    stop_reason: str = "max_steps"
    optimizer: str = "adam"
    ansatz: str = DEFAULT_ANSATZ
    resumed: bool = False
    compile_seconds: float = math.nan


def _bucket(x: int) -> int:
    """The smallest power of two >= x (recorded shapes are padded to it)."""
    return 1 << max(0, int(x) - 1).bit_length()


def _record(q, ll, acc_train, acc_test, lam, h, objective: str):
    """The trajectory columns after ``step`` at distribution q (J, E[LL], H, MMD²_ref, accs)."""
    n = q.shape[0].bit_length() - 1
    j, ell, ent = objective_terms(q, ll, objective, lam, h)
    mmd_ref = mmd2_uniform(q, reference_bandwidth(n))
    return jnp.stack([j, ell, ent, mmd_ref, q @ acc_train, q @ acc_test])


@lru_cache(maxsize=64)
def records_fn(objective: str, n: int, layers: int, ansatz: str = DEFAULT_ANSATZ):
    """Compiled: trajectory columns for a batch of angles (J, E[LL], H, MMD²_ref, accs)."""

    def one(theta, ll, acc_train, acc_test, lam, h):
        return _record(born(theta, ansatz), ll, acc_train, acc_test, lam, h, objective)

    return jax.jit(lambda thetas, *a: jax.lax.map(lambda t: one(t, *a), thetas, batch_size=16))


class _State(NamedTuple):
    theta: Any
    opt: Any
    step: Any  # steps taken
    j_hist: Any  # J(θ_k) for k < step, padded
    records: Any  # rows at k = 0, record_every, ..., padded
    best_j: Any
    best_theta: Any
    best_step: Any
    hit_step: Any  # first k with the mode BiNN in the optimum set, −1
    reason: Any  # 0 running / max_steps, 1 rtol, 2 gtol


class _Consts(NamedTuple):
    ll: Any
    acc_train: Any
    acc_test: Any
    optimum: Any  # bool mask of the optimum set
    lam: Any
    h: Any
    scale: Any  # R = max(table) − min(table)
    rtol: Any
    gtol: Any
    window: Any
    min_steps: Any
    record_every: Any
    lam_end: Any  # a schedule's last λ (= lam when λ is fixed)
    kind: Any  # 0 linear, 1 exponential (scheduled programs only)
    anneal_steps: Any  # T: λ reaches lam_end after T steps (0 when λ is fixed)


#: λ schedules (``train``'s ``schedule``); the index is the traced ``kind``
SCHEDULE_KINDS = ("linear", "exponential")


def scheduled_lambda(k, lam, lam_end, kind, anneal_steps):
    """λ at step k of a schedule: from ``lam`` at k = 0 to ``lam_end`` at k ≥ T.

    linear: λ_k = λ₀ + (λ₁ − λ₀)·t; exponential: λ_k = λ₀·(λ₁/λ₀)^t; t = min(k/T, 1).
    """
    f64 = jnp.float64  # int32 / int32 is float32 in JAX even with x64
    t = jnp.minimum(f64(k) / f64(jnp.maximum(anneal_steps, 1)), 1.0)
    linear = lam + (lam_end - lam) * t
    exponential = lam * (lam_end / lam) ** t
    return jnp.where(t >= 1.0, lam_end, jnp.where(kind == 0, linear, exponential))


@lru_cache(maxsize=64)
def _program(objective: str, ansatz: str, optimizer: str, memory: int, scheduled: bool = False):
    """(init, advance, final) compiled for one objective, ansatz and optimiser.

    ``advance(state, consts, stop_at)`` runs steps until ``stop_at`` steps are
    taken or the stopping rule fires; every argument is traced, so the
    executable depends only on the shapes. ``scheduled`` compiles the variant
    whose λ follows a schedule (:func:`scheduled_lambda`): L-BFGS then evaluates
    J and its gradient afresh at every step (its stored values are at the last
    step's λ), and the best iterate is taken among the steps at the final λ.
    """
    tx = make_optimizer(optimizer, memory)

    def lam_at(c: _Consts, k):
        if not scheduled:
            return c.lam
        return scheduled_lambda(k, c.lam, c.lam_end, c.kind, c.anneal_steps)

    def terms(theta, c: _Consts, lam):
        q = born(theta, ansatz)
        return objective_terms(q, c.ll, objective, lam, c.h)[0], q

    def init(theta, lr, n_hist, n_rec):
        opt = init_state(tx, optimizer, theta, lr)
        f64 = jnp.float64
        return _State(
            theta=theta,
            opt=opt,
            step=jnp.int32(0),
            j_hist=jnp.full((n_hist,), jnp.nan, f64),
            records=jnp.full((n_rec, 6), jnp.nan, f64),
            best_j=f64(-jnp.inf),
            best_theta=theta,
            best_step=jnp.int32(-1),
            hit_step=jnp.int32(-1),
            reason=jnp.int32(0),
        )

    def body(s: _State, c: _Consts) -> _State:
        k = s.step
        lam = lam_at(c, k)
        if optimizer == "adam":
            (j, q), g = jax.value_and_grad(terms, has_aux=True)(s.theta, c, lam)
            updates, opt = tx.update(-g, s.opt, s.theta)
        else:

            def loss(theta):
                return -terms(theta, c, lam)[0]

            if scheduled:
                neg_j, neg_g = jax.value_and_grad(loss)(s.theta)
            else:
                neg_j, neg_g = optax.value_and_grad_from_state(loss)(s.theta, state=s.opt)
            j, g = -neg_j, -neg_g
            q = born(s.theta, ansatz)
            updates, opt = tx.update(neg_g, s.opt, s.theta, value=neg_j, grad=neg_g, value_fn=loss)
        theta = optax.apply_updates(s.theta, updates)
        better = j > s.best_j
        if scheduled:
            better = better & (k >= c.anneal_steps)
        hit = jnp.where((s.hit_step < 0) & c.optimum[jnp.argmax(q)], k, s.hit_step)
        row = k // c.record_every
        records = jax.lax.cond(
            k % c.record_every == 0,
            lambda r: r.at[row].set(_record(q, c.ll, c.acc_train, c.acc_test, lam, c.h, objective)),
            lambda r: r,
            s.records,
        )
        steps = k + 1
        ref = s.j_hist[jnp.maximum(k - c.window, 0)]
        started = steps >= c.min_steps
        by_rtol = started & (k >= c.window) & (jnp.abs(j - ref) <= c.rtol * c.scale)
        by_gtol = started & (jnp.max(jnp.abs(g)) <= c.gtol * c.scale)
        reason = jnp.where(by_rtol, 1, jnp.where(by_gtol, 2, 0)).astype(jnp.int32)
        return _State(
            theta=theta,
            opt=opt,
            step=steps,
            j_hist=s.j_hist.at[k].set(j),
            records=records,
            best_j=jnp.where(better, j, s.best_j),
            best_theta=jax.tree.map(lambda a, b: jnp.where(better, a, b), s.theta, s.best_theta),
            best_step=jnp.where(better, k, s.best_step),
            hit_step=hit,
            reason=reason,
        )

    def advance(s: _State, c: _Consts, stop_at):
        return jax.lax.while_loop(
            lambda s: (s.step < stop_at) & (s.reason == 0), lambda s: body(s, c), s
        )

    def final(theta, c: _Consts):
        q = born(theta, ansatz)
        rec = _record(q, c.ll, c.acc_train, c.acc_test, c.lam_end, c.h, objective)
        return rec, c.optimum[jnp.argmax(q)]

    return (
        jax.jit(init, static_argnames=("n_hist", "n_rec")),
        jax.jit(advance),
        jax.jit(final),
    )


def _leaves(state: _State) -> dict[str, np.ndarray]:
    return {f"leaf{i}": np.asarray(x) for i, x in enumerate(jax.tree.leaves(state))}


def _restore(template: _State, arrays: dict[str, np.ndarray]) -> _State | None:
    leaves, treedef = jax.tree.flatten(template)
    if len(arrays) != len(leaves):
        return None
    out = []
    for i, ref in enumerate(leaves):
        a = arrays.get(f"leaf{i}")
        if a is None or a.shape != np.shape(ref) or a.dtype != np.asarray(ref).dtype:
            return None
        out.append(jnp.asarray(a))
    return jax.tree.unflatten(treedef, out)


def _default(name: str, value, optimizer: str):
    if value is not None:
        return value
    d = DEFAULTS[name]
    return d[optimizer] if isinstance(d, dict) else d


def train(
    table,
    objective: str = "mle",
    *,
    maximize: bool = True,
    lam: float | None = None,
    h: float | None = None,
    optimizer: str | None = None,
    ansatz: str | None = None,
    layers: int | None = None,
    lr: float | None = None,
    max_steps: int | None = None,
    min_steps: int | None = None,
    window_frac: float | None = None,
    rtol: float | None = None,
    gtol: float | None = None,
    memory: int | None = None,
    record_every: int | None = None,
    seeds=(0,),
    acc_train=None,
    acc_test=None,
    optimum=None,
    theta0: np.ndarray | None = None,
    checkpoint_dir=None,
    checkpoint_every: int = 0,
    schedule: str | None = None,
    lam_end: float | None = None,
    anneal_frac: float = 0.5,
) -> list[RunResult]:
    """Train one circuit per seed on a cost table and return the runs.

    The circuit's Born distribution q_θ over the 2^n bitstrings is trained so
    that E_q[table] is as large (``maximize=True``) or as small as possible,
    with an optional regulariser: ``objective`` "mle" (E_q[table] alone), "elbo"
    (+ λ·H[q] when maximising, − λ·H[q] when minimising: the entropy always
    keeps q spread) or "selbo" (the same with −λ·MMD²_h(q, uniform)).

    Parameters
    ----------
    table : array, length 2^n
        Any finite cost or score table; qubit 0 is the most significant bit of the index
        (PennyLane's order).
    objective : {"mle", "elbo", "selbo"}
    maximize : bool
        True: maximise E_q[table] (a log-likelihood); False: minimise it (a cost).
    lam, h : float, optional
        λ (ELBO, SELBO) and the MMD bandwidth h in flipped bits (SELBO).
    optimizer : {"adam", "lbfgs"}, optional
        Default ``DEFAULTS["optimizer"]``.
    ansatz : str, optional
        One of ``qhnet.engine.circuit.ANSATZE``; default ``DEFAULTS["ansatz"]``.
    layers : int, optional
        Circuit depth.
    lr : float, optional
        Adam's learning rate (ignored by L-BFGS).
    max_steps, min_steps : int, optional
        Step budget and the first step at which the stopping rule may fire
        (defaults depend on the optimiser, see ``DEFAULTS``).
    window_frac, rtol, gtol : float, optional
        The stopping rule (module docstring): window = ⌈window_frac·max_steps⌉;
        tolerances relative to the table's range.
    memory : int, optional
        L-BFGS history length.
    record_every : int, optional
        Trajectory sampling interval in steps (the last step is always recorded).
    seeds : sequence of int
        One run per seed; the seed fixes the initial angles.
    acc_train, acc_test : array, optional
        Accuracy tables (length 2^n) for the trajectory's expected accuracies; zeros if omitted.
    optimum : array of int, optional
        Indices of the optimum set; default the entries within 1e-9 of the best.
    theta0 : array, optional
        Initial angles (one seed only) instead of the seeded ones.
    checkpoint_dir : path, optional
        Folder of the runs' checkpoints (one file per seed); a run whose
        checkpoint matches its configuration resumes from it and ends
        bit-identical to an uninterrupted run. Remove them with
        ``checkpoint.remove_run_checkpoints`` once the results are saved.
    checkpoint_every : int
        Save every this many steps (0: only when a run finishes).
    schedule : {"linear", "exponential"}, optional
        Anneal λ (ELBO, SELBO) from ``lam`` to ``lam_end`` over the first
        T = ⌈``anneal_frac``·max_steps⌉ steps (:func:`scheduled_lambda`), then hold
        it at ``lam_end``. The stopping rule waits for T steps, the best iterate is
        the best at ``lam_end``, and the recorded objective is at each step's λ
        (at ``lam_end`` for the final angles).
    lam_end : float, optional
        The schedule's last λ, with 0 < ``lam_end`` < ``lam``.
    anneal_frac : float
        The fraction of ``max_steps`` over which λ is annealed, in (0, 1).

    Returns
    -------
    list of RunResult
        One per seed, in order.

    Raises
    ------
    ValueError
        On a bad table, an unknown objective/optimiser/ansatz, or an argument out of range.
    """
    maximize = check_bool(maximize, "maximize")
    sign = 1.0 if maximize else -1.0
    raw = check_table(table, "table")
    ll = sign * raw
    n = check_n_qubits(ll.shape[0].bit_length() - 1)
    check_objective(objective, lam, h)
    optimizer = check_optimizer(_default("optimizer", optimizer, "adam"))
    ansatz = check_ansatz(_default("ansatz", ansatz, optimizer))
    layers = check_int(_default("layers", layers, optimizer), "layers", minimum=1)
    lr = check_number(_default("lr", lr, optimizer), "lr", minimum=0, include_min=False)
    max_steps = check_int(_default("max_steps", max_steps, optimizer), "max_steps", minimum=1)
    min_steps = check_int(_default("min_steps", min_steps, optimizer), "min_steps", minimum=0)
    window_frac = check_number(
        _default("window_frac", window_frac, optimizer),
        "window_frac",
        minimum=0,
        include_min=False,
        maximum=1,
    )
    rtol = check_number(_default("rtol", rtol, optimizer), "rtol", minimum=0)
    gtol = check_number(_default("gtol", gtol, optimizer), "gtol", minimum=0)
    memory = check_int(_default("memory", memory, optimizer), "memory", minimum=1)
    record_every = check_int(
        _default("record_every", record_every, optimizer), "record_every", minimum=1
    )
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=0)
    seeds = check_seeds(seeds)
    zeros = np.zeros_like(ll)
    acc_train = zeros if acc_train is None else check_table(acc_train, "acc_train", n)
    acc_test = zeros if acc_test is None else check_table(acc_test, "acc_test", n)
    opt_idx = optimum_indices(ll) if optimum is None else np.asarray(optimum, dtype=np.int64)
    if opt_idx.ndim != 1 or opt_idx.size == 0 or opt_idx.min() < 0 or opt_idx.max() >= 2**n:
        raise ValueError(
            f"optimum must be a non-empty list of indices in [0, 2^{n}); got {optimum}"
        )
    mask = np.zeros(2**n, dtype=bool)
    mask[opt_idx] = True
    if theta0 is not None and len(seeds) != 1:
        raise ValueError("theta0 can only be given with a single seed")
    anneal_steps = 0
    if schedule is not None:
        if objective == "mle":
            raise ValueError("schedule: MLE has no λ to anneal; use objective 'elbo' or 'selbo'")
        schedule = check_choice(schedule, "schedule", SCHEDULE_KINDS)
        lam_end = check_number(lam_end, "lam_end", minimum=0, include_min=False)
        if not lam_end < lam:
            raise ValueError(
                f"schedule: λ is annealed from lam down to lam_end; lam_end must be < lam; "
                f"got lam {lam:g}, lam_end {lam_end:g}"
            )
        anneal_frac = check_number(
            anneal_frac, "anneal_frac", minimum=0, maximum=1, include_min=False, include_max=False
        )
        anneal_steps = math.ceil(anneal_frac * max_steps)
        min_steps = max(min_steps, anneal_steps)
    elif lam_end is not None:
        raise ValueError("lam_end is the end of a λ schedule: pass schedule= as well")

    window = max(1, math.ceil(window_frac * max_steps))
    n_hist, n_rec = _bucket(max_steps + 1), _bucket(max_steps // record_every + 1)
    scale = float(np.max(ll) - np.min(ll))
    consts = _Consts(
        ll=jnp.asarray(ll),
        acc_train=jnp.asarray(acc_train),
        acc_test=jnp.asarray(acc_test),
        optimum=jnp.asarray(mask),
        lam=jnp.float64(0.0 if lam is None else lam),
        h=jnp.float64(1.0 if h is None else h),
        scale=jnp.float64(scale),
        rtol=jnp.float64(rtol),
        gtol=jnp.float64(gtol),
        window=jnp.int32(window),
        min_steps=jnp.int32(min_steps),
        record_every=jnp.int32(record_every),
        lam_end=jnp.float64(lam_end if schedule else (0.0 if lam is None else lam)),
        kind=jnp.int32(SCHEDULE_KINDS.index(schedule) if schedule else 0),
        anneal_steps=jnp.int32(anneal_steps),
    )
    init, advance, final = _program(objective, ansatz, optimizer, memory, schedule is not None)
    settings = {
        "objective": objective,
        "maximize": maximize,
        "lam": lam,
        "h": h,
        "optimizer": optimizer,
        "ansatz": ansatz,
        "layers": layers,
        "lr": lr,
        "max_steps": max_steps,
        "min_steps": min_steps,
        "window": window,
        "rtol": rtol,
        "gtol": gtol,
        "memory": memory,
        "record_every": record_every,
        "tables": [ll, acc_train, acc_test, mask],
    }
    if schedule is not None:
        settings.update(schedule=schedule, lam_end=lam_end, anneal_steps=anneal_steps)

    # compile once, before the runs, so that their times exclude it
    t_compile = time.perf_counter()
    th_probe = init_angles(n, layers, 0, ansatz=ansatz)
    probe = init(jnp.asarray(th_probe), jnp.float64(lr), n_hist=n_hist, n_rec=n_rec)
    advance.lower(probe, consts, jnp.int32(1)).compile()
    final.lower(probe.theta, consts).compile()
    compile_seconds = time.perf_counter() - t_compile

    results = []
    for seed in seeds:
        th0 = (
            init_angles(n, layers, seed, ansatz=ansatz)
            if theta0 is None
            else np.asarray(theta0, dtype=float)
        )
        if th0.shape != probe.theta.shape:
            raise ValueError(f"theta0 must have shape {probe.theta.shape}; got {th0.shape}")
        ckpt = Checkpoint(
            None if checkpoint_dir is None else run_checkpoint_path(checkpoint_dir, seed),
            fingerprint({**settings, "seed": seed, "theta0": th0}),
        )
        state = init(jnp.asarray(th0), jnp.float64(lr), n_hist=n_hist, n_rec=n_rec)
        saved = ckpt.load()
        restored = None if saved is None else _restore(state, saved[0])
        resumed = restored is not None
        if resumed:
            state = restored
        t0 = time.perf_counter()
        done = int(state.step) >= max_steps or int(state.reason) != 0
        while not done:
            stop = max_steps if checkpoint_every == 0 else int(state.step) + checkpoint_every
            state = advance(state, consts, jnp.int32(min(stop, max_steps)))
            done = int(state.step) >= max_steps or int(state.reason) != 0
            ckpt.save(_leaves(state), {"step": int(state.step), "done": done})
        results.append(
            _result(state, final, consts, th0, seed, sign, record_every, optimizer, ansatz, t0)
        )
        results[-1].resumed = resumed
        results[-1].compile_seconds = compile_seconds
    return results


def _result(state, final, consts, th0, seed, sign, record_every, optimizer, ansatz, t0):
    steps = int(state.step)
    last, hit_last = final(state.theta, consts)
    last, hit_last = np.asarray(last), bool(hit_last)
    # rows at k = 0, record_every, ... < steps, then the final angles at k = steps
    rows = np.asarray(state.records)[: (steps - 1) // record_every + 1]
    keep = np.r_[np.arange(len(rows)) * record_every, steps]
    rows = np.vstack([rows, last])
    traj = {"step": keep}
    for k, col in enumerate(TRAJECTORY_COLUMNS[1:]):
        v = rows[:, k]
        traj[col] = sign * v if col in ("objective", "ell") else v
    j_last = float(last[0])
    best_j, best_step = float(state.best_j), int(state.best_step)
    theta_best = np.asarray(state.best_theta)
    if j_last > best_j:
        best_j, best_step, theta_best = j_last, steps, np.asarray(state.theta)
    hit = int(state.hit_step)
    if hit < 0 and hit_last:
        hit = steps
    seconds = time.perf_counter() - t0
    reason = STOP_REASONS[int(state.reason)]
    return RunResult(
        seed=seed,
        theta0=th0,
        theta=np.asarray(state.theta),
        steps=steps,
        converged=reason != "max_steps",
        objective=sign * j_last,
        trajectory=traj,
        theta_best=theta_best,
        best_objective=sign * best_j,
        best_step=best_step,
        steps_to_optimum=None if hit < 0 else hit,
        seconds=seconds,
        seconds_to_optimum=math.nan if hit < 0 else seconds * hit / max(steps, 1),
        stop_reason=reason,
        optimizer=optimizer,
        ansatz=ansatz,
    )
