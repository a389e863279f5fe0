"""Limits shared by the package and the workflow's configuration checks (one source).

Standard library only: the workflow reads these while it builds the DAG, without
importing NumPy, JAX or Qiskit. ``tests/test_limits.py`` keeps the configuration
schema's bounds equal to them.
"""

#: Largest circuit the exact engine simulates and the enumeration tabulates
#: (2^22 amplitudes / table rows: 32 MiB per float64 vector). Larger BiNNs are
#: trained without a table (``qhnet.training.scaled``: the circuit as a matrix
#: product state, the likelihood by forward passes).
MAX_EXACT_QUBITS = 22
