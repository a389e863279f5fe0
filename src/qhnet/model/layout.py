"""The BiNN's bit layout: how many bits a network has and which bit is which weight.

Standard library only, so that the workflow can size circuits while it builds its
DAG. Two architectures, both with ±1 weights (w_i = 2σ_i − 1):

- ``hidden = H >= 1``: d → H → 1 with an activation bit, n = (d + 2)·H + 2 bits
  (n = 4·H + 2 for the 2-D datasets). Bits, in order: W1 (d × H, row-major: bit
  j·H + k is input j → hidden k), b1 (H), W2 (H), b2 (1), activation
  (0 → sigmoid, 1 → ReLU).
- ``hidden = 0``: logistic regression, n = d + 1 bits: the weights w (d), then
  the bias b (no hidden layer, no activation bit).

Bitstring σ has index k = Σ_i σ_i·2^(n−1−i), so bit 0 is the most significant,
matching PennyLane's ``qml.probs`` order (wire 0 = leftmost bit).
"""

from __future__ import annotations

from qhnet.validation import check_choice, check_int, is_int

#: Input features of each dataset: the 2-D toy sets, and the digits pairs
#: (8×8 images average-pooled 2×2 to 4×4 = 16 pixels, or all 64 pixels).
DATASET_INPUTS = {
    "gaussian": 2,
    "moons": 2,
    "ring": 2,
    "digits01": 16,
    "digits38": 16,
    "digits01_8x8": 64,
    "digits38_8x8": 64,
}


def input_dim(dataset: str) -> int:
    """Input features d of a named dataset (``DATASET_INPUTS``).

    Raises
    ------
    ValueError
        If ``dataset`` is not a known dataset name.
    """
    return DATASET_INPUTS[check_choice(dataset, "dataset", tuple(DATASET_INPUTS))]


def n_bits(hidden: int, inputs: int = 2) -> int:
    """Bits of the BiNN: (inputs + 2)·hidden + 2, or inputs + 1 for hidden = 0.

    Parameters
    ----------
    hidden : int
        Hidden units H (0: logistic regression).
    inputs : int
        Input features d (2 for the 2-D datasets).

    Raises
    ------
    ValueError
        If ``hidden`` is not an integer >= 0 or ``inputs`` not an integer >= 1.
    """
    hidden = check_int(hidden, "hidden", minimum=0)
    inputs = check_int(inputs, "inputs", minimum=1)
    return inputs + 1 if hidden == 0 else (inputs + 2) * hidden + 2


def hidden_from_n_bits(n: int, inputs: int = 2) -> int:
    """Inverse of :func:`n_bits` for hidden >= 1, so tables can be checked against their bit count.

    Raises
    ------
    ValueError
        If ``n`` is not (inputs + 2)·H + 2 for some H >= 1.
    """
    inputs = check_int(inputs, "inputs", minimum=1)
    width = inputs + 2
    if not is_int(n) or int(n) < width + 2 or (int(n) - 2) % width != 0:
        first = ", ".join(str(width * h + 2) for h in (1, 2, 3))
        raise ValueError(
            f"n must be an integer {width}*hidden + 2 with hidden >= 1 ({first}, ...); got {n!r}"
        )
    return (int(n) - 2) // width
