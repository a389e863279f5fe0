"""The optimiser of every training loop (exact and sampled mode): Adam, ascending.

One implementation serves JAX (inside the exact mode's compiled ``lax.scan``)
and NumPy (the sampled mode's step loop): ``xp`` is the array module.
"""

from __future__ import annotations

import numpy as np

ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8


def adam_init(theta, xp=np):
    """Adam's state for angles ``theta``: first and second moments and the step count."""
    return xp.zeros_like(theta), xp.zeros_like(theta), 0.0


def adam_ascent(theta, grad, m, v, t, lr, xp=np):
    """One Adam step *up* the gradient; returns (θ, m, v, t).

    Parameters
    ----------
    theta, grad : array
        Angles and dJ/dθ at them (J is maximised).
    m, v : array
        First and second moment estimates; ``t`` the number of steps taken.
    lr : float
        Learning rate.
    xp : module
        ``numpy`` or ``jax.numpy``.
    """
    t = t + 1
    m = ADAM_B1 * m + (1 - ADAM_B1) * grad
    v = ADAM_B2 * v + (1 - ADAM_B2) * grad * grad
    mhat = m / (1 - ADAM_B1**t)
    vhat = v / (1 - ADAM_B2**t)
    return theta + lr * mhat / (xp.sqrt(vhat) + ADAM_EPS), m, v, t
