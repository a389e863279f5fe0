rule aggregate:
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
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    shell:
        "python {SCRIPTS}/aggregate.py --metrics {input.metrics} "
        "--trajectories {input.trajectories} --runs-out {output.runs} "
        "--runs-csv {output.runs_csv} --trajectories-out {output.trajectories} "
        "--variance-out {output.variance} > {log} 2>&1"
