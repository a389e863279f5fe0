"""The engine benchmark's parts, run by ``scripts/tools/benchmark.py``.

``problem``
    the fixed problem every path solves (cost table, λ, h, starting angles) and
    the plain implementations of J that the non-qhnet paths use;
``paths``
    one builder per way of computing a step (qhnet and the plain approaches);
``timing``
    round-robin timing, quartiles and the rows of the results table;
``sections``
    the three measurements (exact step, sampled step, whole run);
``report``
    the markdown page, its targets read from ``targets.yaml``.
"""
