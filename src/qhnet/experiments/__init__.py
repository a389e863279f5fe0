"""Layer 5, experiments: what the pipeline runs, built from the layers below.

``sweep`` (the grid of arms and seed batches; standard library only, read while
the workflow builds its DAG), ``landscape`` (2-D slices of the loss) and
``noise`` (trained circuits sampled on noisy backends).
"""
