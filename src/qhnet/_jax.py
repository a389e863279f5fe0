"""JAX set-up shared by every module: float64, one CPU thread, persistent cache.

Imported for its side effects before ``jax``. float64 makes the exact engine
agree with PennyLane to 1e-10; one XLA thread per process keeps the numbers
identical whatever the number of parallel jobs (Snakemake parallelises over
processes, not threads); the persistent compilation cache removes most of the
per-process compile time of short training jobs.
"""

from __future__ import annotations

import os

_flags = os.environ.get("XLA_FLAGS", "")
if "xla_cpu_multi_thread_eigen" not in _flags:
    os.environ["XLA_FLAGS"] = (
        _flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    ).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

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
