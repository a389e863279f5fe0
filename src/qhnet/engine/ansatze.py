"""The ansätze, defined once as gate lists: every simulator and device is built from them.

``ansatz_ops(ansatz, n, layers)`` is THE definition of a circuit: a list of
``(gate, wires, flat_index)`` with ``gate`` one of ``"RY"``, ``"RZ"``, ``"CNOT"``,
``wires`` a tuple of qubit positions (``(q,)`` or ``(control, target)``) and
``flat_index`` the angle's position in ``theta.reshape(-1)`` (``None`` for a
CNOT). The PennyLane quantum function (``apply_ansatz``), the fast exact engine
(``qhnet.engine.circuit``), the Qiskit circuit and the test references are all
derived from it. Every circuit acts on |0…0⟩.

Qubit order (PennyLane's): wire 0 is the most significant bit of a basis index,
k = Σ_i σ_i 2^(n−1−i), and weight 0 of the BiNN is qubit 0.

Gates: RY(θ) = exp(−iθY/2), RZ(θ) = exp(−iθZ/2) (PennyLane's and Qiskit's
convention), CNOT(control, target). Every parametrised gate has one parameter
and a generator (Y/2, Z/2) with eigenvalues ±1/2, so for every angle the
parameter-shift rule ∂f/∂θ = [f(θ + π/2) − f(θ − π/2)] / 2 is exact (sampled
mode relies on it).

``ANSATZE`` (config key ``model.ansatz``):

``ry_chain`` (the default; angles of shape (layers, n))
    per layer: RY(θ[l, i]) on every qubit → CNOT on (0,1), (2,3), … → CNOT on
    (1,2), (3,4), … (an open chain). Real amplitudes.
``brick`` (binncode, arXiv 2301.08292; angles (layers, 2, n))
    per layer: a CNOT brick on alternating pairs → RY(θ[l, 0, i]) on every qubit
    → RZ(θ[l, 1, i]) on every qubit. Layer l = 0, 2, 4, … uses the odd pairs
    (1,2), (3,4), …; layer l = 1, 3, … the even pairs (0,1), (2,3), …. This is
    binncode's ``variationalcircuit`` (PastaQ, 1-based sites): for d = 1…depth
    it appends ``CXlayer(N, d % 2)`` = CX(j, j+1) for j = 1+(d % 2), …, step 2,
    then ``Rylayer`` and ``Rzlayer``; d = 1 gives sites (2,3), (4,5), … = our
    (1,2), (3,4), …; control is the lower site. RY before RZ in each layer, as
    there. The first brick acts on |0…0⟩ and is the identity (kept in the gate
    list, as in binncode; the exact engine skips it). Complex amplitudes.
``hea`` (hardware-efficient; angles (layers, 2, n))
    per layer: RY(θ[l, 0, i]) then RZ(θ[l, 1, i]) on every qubit → a linear CNOT
    ladder (0,1), (1,2), …, (n−2, n−1), in that order (Qiskit's ``EfficientSU2``
    with ``su2_gates=["ry", "rz"]``, ``entanglement="linear"``, without its final
    rotation layer). Complex amplitudes.

``product`` (no entanglement; angles (layers, n))
    per layer: RY(θ[l, i]) on every qubit, no CNOT. Its Born distribution is a
    product of Bernoullis, q(σ) = Π_i p_i^σ_i (1 − p_i)^(1−σ_i) with
    p_i = sin²(Σ_l θ[l, i] / 2): exactly the mean-field family, so training it is
    mean-field variational inference (the classical baseline and the "does
    entanglement matter?" ablation in one). One layer spans the family.

The last layer's RZ angles of ``brick`` and ``hea`` only change phases (a CNOT
permutes the basis, so a diagonal gate stays diagonal after it): they do not
change the Born probabilities and their gradient is zero.

This module imports only the standard library (NumPy when ``init_angles`` or
``check_thetas`` is called), so the workflow's configuration checks can read it.
"""

from __future__ import annotations

from functools import lru_cache

from qhnet.validation import check_array, check_choice, check_int, check_random_state

ANSATZE = ("ry_chain", "brick", "hea", "product")
DEFAULT_ANSATZ = "ry_chain"
GATES = ("RY", "RZ", "CNOT")

#: Rotation gates per qubit and layer: the angle arrays are (layers, n) for one
#: gate and (layers, len, n) for several, in this order.
_ROTATIONS = {"ry_chain": ("RY",), "brick": ("RY", "RZ"), "hea": ("RY", "RZ"), "product": ("RY",)}


def check_ansatz(ansatz: str) -> str:
    """Validate an ansatz name.

    Raises
    ------
    ValueError
        If ``ansatz`` is not one of ``ANSATZE``.
    """
    return check_choice(ansatz, "ansatz", ANSATZE)


def check_layers(layers: int) -> int:
    """Validate a circuit depth: an integer >= 1.

    Raises
    ------
    ValueError
        If ``layers`` is not an integer >= 1.
    """
    return check_int(layers, "layers", minimum=1)


def angle_shape(ansatz: str, n: int, layers: int) -> tuple[int, ...]:
    """Shape of the angle array of ``ansatz`` on ``n`` qubits with ``layers`` layers.

    Parameters
    ----------
    ansatz : str
        One of ``ANSATZE``.
    n, layers : int
        Qubits (>= 1) and layers (>= 1).

    Returns
    -------
    tuple of int
        ``(layers, n)`` for ``ry_chain`` and ``product``, ``(layers, 2, n)`` for ``brick`` and
        ``hea`` (index 0: RY angles, 1: RZ angles).

    Raises
    ------
    ValueError
        For an unknown ansatz or a bad ``n`` / ``layers``.
    """
    rot = _ROTATIONS[check_ansatz(ansatz)]
    n = check_int(n, "n_qubits", minimum=1)
    layers = check_layers(layers)
    return (layers, n) if len(rot) == 1 else (layers, len(rot), n)


def _shape_text(ansatz: str) -> str:
    return "(layers, n_qubits)" if len(_ROTATIONS[ansatz]) == 1 else "(layers, 2, n_qubits)"


def theta_dims(shape, ansatz: str = DEFAULT_ANSATZ, name: str = "theta") -> tuple[int, int]:
    """(layers, n) of an angle array's ``shape`` for ``ansatz``, checking the shape.

    Parameters
    ----------
    shape : tuple of int
        ``theta.shape``.
    ansatz : str
        One of ``ANSATZE``.
    name : str
        Name used in the error message.

    Returns
    -------
    (int, int)
        Layers and qubits.

    Raises
    ------
    ValueError
        If the shape is not ``angle_shape(ansatz, n, layers)`` for some n, layers >= 1.
    """
    check_ansatz(ansatz)
    shape = tuple(int(s) for s in shape)
    nrot = len(_ROTATIONS[ansatz])
    ok = len(shape) == (2 if nrot == 1 else 3) and min(shape, default=0) >= 1
    if ok and nrot > 1:
        ok = shape[1] == nrot
    if not ok:
        raise ValueError(
            f"{name} must have shape {_shape_text(ansatz)} for ansatz {ansatz!r}; got {shape}"
        )
    return shape[0], shape[-1]


def check_thetas(thetas, ansatz: str = DEFAULT_ANSATZ):
    """A finite batch of angle arrays, shape (batch >= 1,) + ``angle_shape(ansatz, n, layers)``.

    Returns
    -------
    numpy.ndarray
        The batch as float64.

    Raises
    ------
    ValueError
        For non-finite values or a shape that does not fit ``ansatz``.
    """
    check_ansatz(ansatz)
    thetas = check_array(thetas, "thetas")
    if thetas.ndim < 1 or thetas.shape[0] < 1:
        raise ValueError(
            f"thetas must have shape (batch,) + {_shape_text(ansatz)} for ansatz {ansatz!r}; "
            f"got {thetas.shape}"
        )
    try:
        theta_dims(thetas.shape[1:], ansatz)
    except ValueError:
        raise ValueError(
            f"thetas must have shape (batch,) + {_shape_text(ansatz)} for ansatz {ansatz!r}; "
            f"got {thetas.shape}"
        ) from None
    return thetas


def init_angles(n: int, layers: int, seed, ansatz: str = DEFAULT_ANSATZ):
    """Initial angles i.i.d. Uniform[0, 2π), shape ``angle_shape(ansatz, n, layers)``.

    Parameters
    ----------
    n, layers : int
        Qubits and layers (>= 1 each).
    seed : int, seed list or numpy.random.Generator
        Fixes the draws (``qhnet.validation.check_random_state``).
    ansatz : str
        One of ``ANSATZE``.

    Returns
    -------
    numpy.ndarray
        float64 angles; one ``rng.uniform`` call in C order, so the same seed
        gives the same ``ry_chain`` angles as before ansätze were added.

    Raises
    ------
    ValueError
        For a bad ``n``, ``layers``, ``seed`` or ansatz name.
    """
    import math

    shape = angle_shape(ansatz, n, layers)
    rng = check_random_state(seed)
    return rng.uniform(0.0, 2.0 * math.pi, size=shape)


def cnot_pairs(n: int) -> list[tuple[int, int]]:
    """The CNOTs of one ``ry_chain`` layer, in order: even pairs then odd pairs (open chain)."""
    return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]


def brick_pairs(n: int, layer: int) -> list[tuple[int, int]]:
    """The CNOT brick of ``brick`` layer ``layer`` (0-based): odd pairs for even layers."""
    return [(i, i + 1) for i in range(1 - layer % 2, n - 1, 2)]


def ladder_pairs(n: int) -> list[tuple[int, int]]:
    """The linear CNOT ladder of one ``hea`` layer: (0,1), (1,2), …, (n−2, n−1)."""
    return [(i, i + 1) for i in range(n - 1)]


@lru_cache(maxsize=256)
def _ops(ansatz: str, n: int, layers: int) -> tuple:
    shape = angle_shape(ansatz, n, layers)
    ops = []

    def rotations(layer: int, gate: str, row: int) -> None:
        base = layer * (shape[1] * n if len(shape) == 3 else n) + row * n
        ops.extend((gate, (i,), base + i) for i in range(n))

    for layer in range(layers):
        if ansatz == "ry_chain":
            rotations(layer, "RY", 0)
            ops.extend(("CNOT", p, None) for p in cnot_pairs(n))
        elif ansatz == "product":
            rotations(layer, "RY", 0)
        elif ansatz == "brick":
            ops.extend(("CNOT", p, None) for p in brick_pairs(n, layer))
            rotations(layer, "RY", 0)
            rotations(layer, "RZ", 1)
        else:  # hea
            rotations(layer, "RY", 0)
            rotations(layer, "RZ", 1)
            ops.extend(("CNOT", p, None) for p in ladder_pairs(n))
    return tuple(ops)


def ansatz_ops(ansatz: str, n: int, layers: int) -> list[tuple[str, tuple[int, ...], int | None]]:
    """The gate list of ``ansatz``: the one definition of the circuit.

    Parameters
    ----------
    ansatz : str
        One of ``ANSATZE``.
    n, layers : int
        Qubits and layers (>= 1 each).

    Returns
    -------
    list of (str, tuple of int, int or None)
        ``(gate, wires, flat_index)`` in circuit order; ``gate`` in ``GATES``,
        ``wires`` = ``(q,)`` for RY/RZ and ``(control, target)`` for CNOT,
        ``flat_index`` into ``theta.reshape(-1)`` (``None`` for CNOT). Every
        angle appears exactly once.

    Raises
    ------
    ValueError
        For an unknown ansatz or a bad ``n`` / ``layers``.
    """
    return list(_ops(ansatz, n, layers))


def apply_ansatz(theta, wires, ansatz: str = DEFAULT_ANSATZ) -> None:
    """PennyLane quantum function of ``ansatz``; ``theta`` has ``angle_shape(ansatz, n, layers)``.

    Usable inside any QNode on any device and with any interface, e.g.::

        @qml.qnode(dev)
        def probs(theta):
            apply_ansatz(theta, wires=range(n), ansatz="brick")
            return qml.probs(wires=range(n))

    Parameters
    ----------
    theta : array (NumPy, autograd, JAX, Torch)
        Angles; ``wires[i]`` plays qubit i.
    wires : sequence
        The n wires.
    ansatz : str
        One of ``ANSATZE``.

    Raises
    ------
    ValueError
        If the shape of ``theta`` does not fit ``ansatz`` and ``len(wires)``.
    """
    import pennylane as qml

    wires = list(wires)
    n = len(wires)
    shape = tuple(qml.math.shape(theta))
    layers, n_theta = theta_dims(shape, ansatz)
    if n_theta != n:
        raise ValueError(f"theta must have {n} qubits (last axis) for {n} wires; got {shape}")
    flat = qml.math.reshape(theta, (-1,))
    gates = {"RY": qml.RY, "RZ": qml.RZ}
    for gate, w, k in _ops(ansatz, n, layers):
        if gate == "CNOT":
            qml.CNOT(wires=[wires[w[0]], wires[w[1]]])
        else:
            gates[gate](flat[k], wires=wires[w[0]])
