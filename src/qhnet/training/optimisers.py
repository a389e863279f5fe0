"""The optimisers of every training loop, all from optax: Adam and L-BFGS.

``OPTIMIZERS`` names them (config key ``training.optimizer`` / ``optimizers``):

``adam``
    ``optax.adam`` (b1 = 0.9, b2 = 0.999, eps = 1e-8) with the learning rate as a
    traced hyperparameter (``optax.inject_hyperparams``), so one compiled loop
    serves every learning rate. Lr 0.05 is the paper-like gradient ascent.
``lbfgs``
    ``optax.lbfgs`` (the last ``memory`` updates, initial preconditioner scaled)
    with its zoom line search (strong Wolfe conditions, at most
    ``LBFGS_LINESEARCH_STEPS`` evaluations per iteration). One step is one
    L-BFGS iteration.

Both minimise: the training loops pass the loss −J. :func:`adam_init` and
:func:`adam_ascent` are the same Adam for loops that take their own steps (the
sampled mode's step loop, NumPy in and out).
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qhnet.validation import check_choice, check_int

OPTIMIZERS = ("adam", "lbfgs")
ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8
LBFGS_LINESEARCH_STEPS = 20


def check_optimizer(optimizer: str) -> str:
    """Validate an optimiser name (one of ``OPTIMIZERS``).

    Raises
    ------
    ValueError
        If ``optimizer`` is not one of ``OPTIMIZERS``.
    """
    return check_choice(optimizer, "optimizer", OPTIMIZERS)


def make_optimizer(optimizer: str, memory: int = 10) -> optax.GradientTransformationExtraArgs:
    """The optax transformation of ``optimizer`` (minimising).

    Parameters
    ----------
    optimizer : {"adam", "lbfgs"}
    memory : int
        L-BFGS history length (ignored for Adam).

    Returns
    -------
    optax.GradientTransformationExtraArgs
        For Adam, the learning rate is ``state.hyperparams["learning_rate"]``
        (set it with :func:`init_state`).

    Raises
    ------
    ValueError
        On an unknown optimiser or ``memory`` < 1.
    """
    optimizer = check_optimizer(optimizer)
    if optimizer == "adam":
        return optax.inject_hyperparams(optax.adam)(
            learning_rate=0.05, b1=ADAM_B1, b2=ADAM_B2, eps=ADAM_EPS
        )
    memory = check_int(memory, "memory", minimum=1)
    return optax.lbfgs(
        memory_size=memory,
        linesearch=optax.scale_by_zoom_linesearch(
            max_linesearch_steps=LBFGS_LINESEARCH_STEPS, initial_guess_strategy="one"
        ),
    )


def init_state(tx, optimizer: str, theta, lr):
    """The optimiser state at angles ``theta``; for Adam the (traced) learning rate ``lr``."""
    state = tx.init(theta)
    if optimizer == "adam":
        state.hyperparams["learning_rate"] = jnp.asarray(lr, dtype=jnp.float64)
    return state


# --- Adam for loops that step themselves (sampled mode) -----------------------


def adam_init(theta, xp=np):
    """Adam's state for angles ``theta``: first and second moments and the step count."""
    return xp.zeros_like(theta), xp.zeros_like(theta), 0.0


@lru_cache(maxsize=1)
def _adam_step():
    tx = optax.scale_by_adam(b1=ADAM_B1, b2=ADAM_B2, eps=ADAM_EPS)

    def step(theta, grad, m, v, t, lr):
        state = optax.ScaleByAdamState(count=jnp.asarray(t, jnp.int32), mu=m, nu=v)
        direction, state = tx.update(grad, state)
        return theta + lr * direction, state.mu, state.nu

    return jax.jit(step)


def adam_ascent(theta, grad, m, v, t, lr, xp=np):
    """One Adam step *up* the gradient (``optax.scale_by_adam``); returns (θ, m, v, t + 1).

    Parameters
    ----------
    theta, grad : array
        Angles and dJ/dθ at them (J is maximised).
    m, v : array
        First and second moment estimates; ``t`` the number of steps taken.
    lr : float
        Learning rate.
    xp : module
        ``numpy`` (NumPy arrays in and out) or ``jax.numpy``.
    """
    new, m, v = _adam_step()(theta, grad, m, v, t, lr)
    if xp is np:
        new, m, v = np.asarray(new), np.asarray(m), np.asarray(v)
    return new, m, v, t + 1
