"""Layer 2, the model: datasets and the BiNNs the circuit's bitstrings encode.

``datasets`` (gaussian, moons, ring: generation, split, standardisation, files)
and ``binn`` (the bit layout, forward passes, and the enumeration of all 2^n BiNNs
into the tables every objective reads).
"""
