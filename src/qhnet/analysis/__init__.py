"""Layer 6, analysis: metrics of trained circuits, statistics, verdicts and figures.

``evaluation`` (accuracies, mass on the optimum set, read off the enumeration
tables), ``stats`` (the tables and verdicts behind the paper's claims) and
``plots`` (the report's figures).
"""
