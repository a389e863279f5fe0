"""One validation vocabulary for the whole package (in the spirit of scikit-learn's
``check_scalar`` / ``check_random_state``).

Every public function of qhnet checks its arguments with these helpers, so a bad
value always gets the same kind of message: the argument's name, what is allowed,
and what was given (``"lr must be a number > 0; got -1"``). All raise
``ValueError``. Scalar checks use the standard library only (``numbers``), so the
workflow's configuration checks can use them without importing NumPy; the array
checks import NumPy when called.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def is_int(value: object) -> bool:
    """True for Python and NumPy integers, False for booleans (``True`` is not a count)."""
    return isinstance(value, numbers.Integral) and not _is_bool(value)


def is_number(value: object) -> bool:
    """True for real numbers (int, float, NumPy scalars), False for booleans and strings."""
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _bounds_text(
    minimum: float | None,
    maximum: float | None,
    include_min: bool,
    include_max: bool,
) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>=' if include_min else '>'} {minimum:g}")
    if maximum is not None:
        parts.append(f"{'<=' if include_max else '<'} {maximum:g}")
    return " and ".join(parts)


def check_int(
    value: object,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer in [minimum, maximum] (either bound optional); returns ``int(value)``.

    Raises
    ------
    ValueError
        Naming ``name``, the bounds and the value, for non-integers (booleans
        and floats included) and values out of range.
    """
    bounds = _bounds_text(minimum, maximum, True, True)
    what = f"an integer {bounds}".rstrip() if bounds else "an integer"
    if not is_int(value):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    v = int(value)  # type: ignore[arg-type]
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return v


def check_number(
    value: object,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
    allow_inf: bool = False,
) -> float:
    """A real number (finite unless ``allow_inf``) within the stated bounds; returns a float.

    NaN is always refused; so are booleans and strings.
    """
    bounds = _bounds_text(minimum, maximum, include_min, include_max)
    kind = "a number" if allow_inf else "a finite number"
    what = f"{kind} {bounds}".rstrip()
    if not is_number(value):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    v = float(value)  # type: ignore[arg-type]
    if math.isnan(v) or (not allow_inf and math.isinf(v)):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    too_low = minimum is not None and (v < minimum if include_min else v <= minimum)
    too_high = maximum is not None and (v > maximum if include_max else v >= maximum)
    if too_low or too_high:
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return v


def check_bool(value: object, name: str) -> bool:
    """``True`` or ``False`` (NumPy booleans accepted)."""
    if not _is_bool(value):
        raise ValueError(f"{name} must be true or false; got {value!r}")
    return bool(value)


def check_choice(value: object, name: str, allowed: Iterable[Any]) -> Any:
    """One of ``allowed``; the message lists them."""
    allowed = tuple(allowed)
    try:
        ok = value in allowed
    except TypeError:  # unhashable etc.
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_seed(value: object, name: str = "seed") -> int:
    """A seed: an integer >= 0."""
    return check_int(value, name, minimum=0)


def check_seeds(values: object, name: str = "seeds") -> list[int]:
    """A non-empty list of distinct seeds (integers >= 0), order kept.

    Duplicates are refused: a seed is one run, and two rows of one run would be
    counted twice by every statistic.
    """
    if is_int(values):
        values = [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a non-empty list of integers >= 0; got {values!r}")
    out = list(values)
    if not out:
        raise ValueError(f"{name} must be a non-empty list of integers >= 0; got []")
    seeds = [check_seed(s, f"{name}[{i}]") for i, s in enumerate(out)]
    dup = sorted({s for s in seeds if seeds.count(s) > 1})
    if dup:
        raise ValueError(f"{name} must not repeat a seed; got {dup} more than once")
    return seeds


def check_random_state(seed):
    """A ``numpy.random.Generator`` from a seed (int >= 0, or a SeedSequence entropy list)
    or a Generator (returned as is)."""
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, Sequence) and not isinstance(seed, (str, bytes)):
        return np.random.default_rng([check_seed(s) for s in seed])
    return np.random.default_rng(check_seed(seed))


def check_array(values, name: str, *, ndim: int | None = None, finite: bool = True):
    """A float64 NumPy array with ``ndim`` dimensions (if given) and finite values."""
    import numpy as np

    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        kind = type(values).__name__
        raise ValueError(f"{name} must be an array of numbers; got {kind}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def check_table(values, name: str = "ll", n_qubits: int | None = None):
    """A cost table: a finite 1-D array of length 2^n (n = ``n_qubits`` if given)."""
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    size = arr.shape[0] if arr.ndim == 1 else -1
    if arr.ndim != 1 or size < 2 or size & (size - 1):
        raise ValueError(f"{name} must be a 1-D table of length 2^n; got shape {arr.shape}")
    if n_qubits is not None and size != 2**n_qubits:
        raise ValueError(
            f"{name} must have length 2^{n_qubits} = {2**n_qubits} for {n_qubits} qubits; "
            f"got {size}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def n_qubits_of(table_len: int) -> int:
    """n for a table of length 2^n."""
    return int(table_len).bit_length() - 1
