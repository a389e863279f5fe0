"""Layer 4, devices: where the sampled mode's shots come from besides the simulator.

``catalog`` (device and fake-backend names, standard library only: the workflow
checks a configuration with it), ``backends`` (PennyLane devices, Aer noise
models, the IBM service) and ``shots`` (``DeviceShots``, a ``ShotSource``).
Importing this package imports neither PennyLane nor Qiskit.
"""
