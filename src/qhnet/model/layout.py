"""The BiNN's bit layout: how many bits a network has and which bit is which weight.

Standard library only, so that the workflow can size circuits while it builds its
DAG. Convention (project-wide): n = 4·H + 2 bits for the 2 → H → 1 network;
bitstring σ has index k = Σ_i σ_i·2^(n−1−i), so bit 0 is the most significant,
matching PennyLane's ``qml.probs`` order (wire 0 = leftmost bit). Weight
w_i = 2σ_i − 1. Bits, in order: W1 (2 × H, row-major: bit j·H + k is input j →
hidden k), b1 (H), W2 (H), b2 (1), activation (0 → sigmoid, 1 → ReLU).
"""

from __future__ import annotations

from qhnet.validation import check_int, is_int


def n_bits(hidden: int) -> int:
    """Bits of a 2 → hidden → 1 BiNN with an activation bit: 4·hidden + 2.

    Raises
    ------
    ValueError
        If ``hidden`` is not an integer >= 1.
    """
    return 4 * check_int(hidden, "hidden", minimum=1) + 2


def hidden_from_n_bits(n: int) -> int:
    """Inverse of :func:`n_bits`, so tables can be checked against their bit count."""
    if not is_int(n) or int(n) < 6 or (int(n) - 2) % 4 != 0:
        raise ValueError(
            f"n must be an integer 4*hidden + 2 with hidden >= 1 (6, 10, 14, ...); got {n!r}"
        )
    return (int(n) - 2) // 4
