"""qhnet: variational inference for quantum hypernetworks (arXiv 2506.05888).

A variational circuit's measured bitstrings are the ±1 weights of a small
binary neural network; the circuit is trained by MLE, the exact ELBO or the
MMD surrogate ELBO (SELBO). See README.md and docs/method.md for the model.
"""

__version__ = "0.1.0"
