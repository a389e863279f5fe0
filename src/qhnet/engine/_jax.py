"""JAX set-up shared by every module that uses JAX: float64, CPU, persistent cache.

Imported for its side effects before ``jax`` is used. float64 makes the exact
engine agree with PennyLane to 1e-10. ``--xla_cpu_multi_thread_eigen=false``
keeps Eigen's matrix kernels on the calling thread, and the CPU client is
created while the process may run on one CPU only (``_one_thread_client``), so
XLA's intra-op pool has one thread: Snakemake parallelises over processes (one
core per job), not threads, and a pool of several threads splits large
reductions and changes their last bits with the machine's core count. XLA may
still start helper threads (for compilation, for instance); what matters is that
the numbers do not depend on how many cores a job sees, and
``tests/test_engine.py`` checks exactly that (a 2^17-amplitude objective and its
gradient, pinned to one CPU and with every CPU). The persistent compilation cache
removes most of the per-process compile time of short training jobs.

``materialise`` is the engine's one XLA:CPU fusion barrier (see its docstring).
"""

from __future__ import annotations

import os

_flags = os.environ.get("XLA_FLAGS", "")
if "xla_cpu_multi_thread_eigen" not in _flags:
    os.environ["XLA_FLAGS"] = (_flags + " --xla_cpu_multi_thread_eigen=false").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_enable_x64", True)


def _one_thread_client() -> None:
    """Create the CPU client while the process may run on one CPU only, then widen again.

    XLA:CPU sizes its intra-op thread pool from the CPUs the process may use
    when the client is created, and with more than one thread it splits large
    loops and reductions across them: the summation order, hence the last bits
    of a 2^17-amplitude objective, then depend on the machine (and an L-BFGS
    run amplifies them). A pool of one thread gives the same bits whatever the
    cores; restoring the affinity afterwards leaves the scheduler free to place
    the process. If the client already exists (JAX used before qhnet), this
    changes nothing.
    """
    if not hasattr(os, "sched_getaffinity"):
        return
    mask = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(mask)})
        jax.devices()
    finally:
        os.sched_setaffinity(0, mask)


_one_thread_client()

_cache = os.environ.get(
    "QHNET_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "qhnet", "jax")
)
if _cache and _cache.lower() not in {"0", "off", "none"}:
    try:
        os.makedirs(_cache, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", _cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except OSError:  # read-only home on some clusters: run without the cache
        pass


def materialise(x: jax.Array) -> jax.Array:
    """``x`` unchanged, but computed into its own buffer inside a jitted function.

    XLA:CPU fuses cheap producers into every consumer and then recomputes them
    per output element: left alone, it evaluates cos θ/2 once per amplitude in
    every RY pass, or the 2^(n/2)-long half of a product state once per
    amplitude. A reduction is a fusion boundary (and ``optimization_barrier`` is
    dropped on CPU), so ``x`` is written as a sum over a stacked zero: exact,
    and the consumer then reads ``x`` from memory. The reduction is a pass of
    its own: for small arrays only.
    """
    return jnp.sum(jnp.stack([x, jnp.zeros_like(x)]), axis=0)
