"""One arm of the scale study on one problem, from every seed: a row per seed.

A BiNN beyond enumeration (no table): the circuit is a matrix product state and
the likelihood a forward pass (``qhnet.experiments.scale.run_arm``). Writes a
Parquet table with the columns of ``qhnet.experiments.scale.SCALE_COLUMNS``.
"""

from qhnet.cli import StepParser, exact_or, existing_file, integer, number, optional, output_file
from qhnet.experiments.scale import METHODS, run_arm
from qhnet.experiments.sweep import resolve_bandwidth
from qhnet.io import write_frame
from qhnet.model.datasets import load_dataset
from qhnet.model.layout import n_bits
from qhnet.training.scaled import GRADIENTS, SCALED_OBJECTIVES


def bandwidth(text: str):
    """argparse type: a number > 0 or an expression in n ("n/4", "sqrt(n)")."""
    try:
        return float(text)
    except ValueError:
        return text


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--dataset", required=True, type=existing_file, help="dataset Parquet")
    ap.add_argument("--hidden", required=True, type=integer(1), help="hidden units of the BiNN")
    ap.add_argument("--arm", required=True, help="the arm's name (a column of the output)")
    ap.add_argument("--method", required=True, choices=METHODS, help="what is trained")
    ap.add_argument("--objective", choices=SCALED_OBJECTIVES, default="mle", help="objective")
    ap.add_argument("--lam", type=optional(number(0)), default=None, help="λ (none: 0)")
    ap.add_argument("--h", type=optional(bandwidth), default=None, help="MMD bandwidth (none: 1)")
    ap.add_argument("--seeds", type=int, nargs="+", required=True, help="one run per seed")
    ap.add_argument("--layers", type=integer(1), required=True, help="circuit layers")
    ap.add_argument("--gradient", choices=GRADIENTS, required=True, help="gradient estimator")
    ap.add_argument("--shots", type=integer(2), required=True, help="shots per circuit and step")
    ap.add_argument(
        "--prior-samples", type=exact_or(integer(2)), required=True, help="m, or 'exact'"
    )
    ap.add_argument("--max-steps", type=integer(1), required=True, help="Adam steps")
    ap.add_argument("--lr", type=number(0, include_min=False), required=True, help="Adam's lr")
    ap.add_argument("--likelihood", choices=("sum", "mean"), required=True, help="LL scale")
    ap.add_argument("--ste-steps", type=integer(1), required=True, help="straight-through steps")
    ap.add_argument(
        "--ste-lr", type=number(0, include_min=False), required=True, help="straight-through lr"
    )
    ap.add_argument("--out", required=True, type=output_file, help="output Parquet")
    a = ap.parse_args(argv)
    data = load_dataset(a.dataset)
    n = n_bits(a.hidden, data.X_train.shape[1])
    h = 1.0 if a.h is None else ap.check(resolve_bandwidth, a.h, n)[0]
    table = ap.check(
        run_arm, data, a.hidden, a.arm, a.method, objective=a.objective,
        lam=0.0 if a.lam is None else a.lam, h=h, seeds=a.seeds, layers=a.layers,
        gradient=a.gradient, shots=a.shots,
        prior_samples=None if a.prior_samples == "exact" else a.prior_samples,
        max_steps=a.max_steps, lr=a.lr, likelihood=a.likelihood, ste_steps=a.ste_steps,
        ste_lr=a.ste_lr,
    )  # fmt: skip
    write_frame(table, a.out)
    print(table[["seed", "acc_test_expected", "acc_test_mode", "seconds"]].to_string(index=False))


if __name__ == "__main__":
    main()
