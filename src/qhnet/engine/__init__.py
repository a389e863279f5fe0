"""Layer 1, the engine: the circuit and the objectives of its distribution.

``circuit`` (the ansatz for PennyLane devices and the fast exact statevector
engine) and ``objectives`` (E_q[LL], entropy, MMD² to the uniform prior, J(θ)).
Imports only ``qhnet.validation`` and ``qhnet.limits`` from qhnet.
"""
