"""What every pipeline step in ``scripts/`` shares: its argument parser.

A step checks all of its arguments before it does any work: numbers and names
with ``qhnet.validation`` (one message per bad value, naming the option), input
files for existence, and output paths for a writable directory, so that a typo
in an output path fails in a second, not after the training. Every option has a
help line (``python scripts/<step>.py --help``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from qhnet.validation import check_int, check_number, check_seeds


class StepParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose checks report ``ValueError`` messages as usage errors.

    A step is one job on one core: creating the parser also limits BLAS and
    OpenMP to one thread (``threadpoolctl``), so NumPy's large dot products (the
    metrics read off 2^n tables) sum in the same order whatever the machine's
    cores, as the engine's XLA pool does (``qhnet.engine._jax``).
    """

    def __init__(self, doc: str | None, **kwargs):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        super().__init__(
            description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs
        )

    def check(self, fn: Callable, *args, **kwargs):
        """Run a check; a ``ValueError`` becomes ``error: <message>`` and exit status 2."""
        try:
            return fn(*args, **kwargs)
        except ValueError as err:
            self.error(str(err))

    def parse_args(self, args=None, namespace=None):
        ns = super().parse_args(args, namespace)
        if getattr(ns, "seeds", None) is not None:
            ns.seeds = self.check(check_seeds, ns.seeds, "--seeds")
        return ns


def integer(minimum: int | None = None):
    """argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
        try:
            return check_int(value, "value", minimum=minimum)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).replace("value ", "", 1)) from None

    parse.__name__ = "integer"
    return parse


def number(
    minimum: float | None = None,
    *,
    include_min: bool = True,
    maximum: float | None = None,
    include_max: bool = True,
):
    """argparse type: a finite number within the bounds."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
        try:
            return check_number(
                value,
                "value",
                minimum=minimum,
                include_min=include_min,
                maximum=maximum,
                include_max=include_max,
            )
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).replace("value ", "", 1)) from None

    parse.__name__ = "number"
    return parse


def optional(parse: Callable[[str], object]):
    """argparse type: ``none`` (or ``null``) for None, else ``parse``."""

    def wrapped(text: str):
        return None if text.lower() in ("none", "null") else parse(text)

    wrapped.__name__ = getattr(parse, "__name__", "value")
    return wrapped


def exact_or(parse):
    """argparse type: the word ``exact``, else ``parse``."""

    def wrapped(text: str):
        return "exact" if text == "exact" else parse(text)

    wrapped.__name__ = getattr(parse, "__name__", "value")
    return wrapped


def existing_file(text: str) -> str:
    """argparse type: a path to an existing file."""
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return text


def output_file(text: str) -> str:
    """argparse type: a path whose directory exists and is writable or can be created."""
    p = Path(text)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory; give a file path")
    parent = next((q for q in p.parents if q.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: {str(parent)!r} is not a writable directory"
        )
    return text


#: The verdicts' margins (config ``analysis``): option name → help.
_MARGINS = {
    "accuracy_margin": "δ for differences in test accuracy",
    "std_margin": "claim 1: std reductions by less than this fraction do not count",
    "rate_margin": "claim 6: hit-rate gains smaller than this do not count",
    "roughness_margin": "claim 2: roughness reductions by less than this do not count",
}


def add_verdict_options(ap: argparse.ArgumentParser) -> None:
    """The verdicts' level, margins and minimum pairs (config ``analysis``), all required."""
    ap.add_argument(
        "--alpha",
        type=number(0, include_min=False, maximum=0.5),
        required=True,
        help="level of every one-sided test (after Holm in a family)",
    )
    for key, text in _MARGINS.items():
        ap.add_argument(
            f"--{key.replace('_', '-')}", type=number(0, maximum=1), required=True, help=text
        )
    ap.add_argument(
        "--nats",
        type=number(0),
        required=True,
        help="claim 6: a mode within this of the best train log-likelihood has reached it",
    )
    ap.add_argument(
        "--min-pairs", type=integer(3), required=True, help="fewer seed pairs decide nothing"
    )


def verdict_settings(args: argparse.Namespace):
    """The ``qhnet.analysis.claims.Settings`` of options added by :func:`add_verdict_options`."""
    from dataclasses import fields

    from qhnet.analysis.claims import Settings

    return Settings(**{f.name: getattr(args, f.name) for f in fields(Settings)})
