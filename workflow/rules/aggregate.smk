rule aggregate:
    """Gather every run into the tidy tables and compute the spread statistics."""
    input:
        metrics=run_files("metrics"),
        trajectories=run_files("trajectory"),
    output:
        runs=res("tables/runs.parquet"),
        runs_csv=res("tables/runs.csv"),
        trajectories=res("tables/trajectories.parquet"),
        variance=report(
            res("tables/variance.csv"),
            caption="../report/variance_table.rst",
            category="Tables",
        ),
    log:
        logs("aggregate.log"),
    benchmark:
        res("benchmarks/aggregate.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        step=step("aggregate"),
        n_boot=config["analysis"]["n_boot"],
        seed=config["analysis"]["seed"],
    shell:
        "{params.step} --metrics {input.metrics} --trajectories {input.trajectories} "
        "--runs-out {output.runs} --runs-csv {output.runs_csv} "
        "--trajectories-out {output.trajectories} --variance-out {output.variance} "
        "--n-boot {params.n_boot} --seed {params.seed} > {log} 2>&1"
