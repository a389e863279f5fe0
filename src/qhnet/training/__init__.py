"""Layer 3, training: the circuit trained on a cost table, exactly or from shots.

``exact`` (J(θ) from the statevector, gradient by automatic differentiation),
``sampled`` (shots only, as on hardware: parameter-shift gradients, the unbiased
MMD U-statistic, the ``ShotSource`` protocol) and ``optimisers``.
"""

from qhnet.training.exact import TRAJECTORY_COLUMNS, RunResult, train
from qhnet.training.sampled import ShotSource, SimulatedShots, train_sampled

__all__ = [
    "TRAJECTORY_COLUMNS",
    "RunResult",
    "ShotSource",
    "SimulatedShots",
    "train",
    "train_sampled",
]
