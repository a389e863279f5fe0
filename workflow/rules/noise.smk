rule noise_study:
    """Sample trained circuits on qiskit.aer with fake IBM noise models, and noiselessly."""
    input:
        table=rules.enumerate_binns.output[0],
        metrics=get_noise_metrics,
    output:
        res("noise/{dataset}.csv"),
    log:
        logs("noise_study/{dataset}.log"),
    benchmark:
        res("benchmarks/noise_study/{dataset}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        step=step("noise_study"),
        arms=" ".join(a.arm for a in LANDSCAPE_ARMS),
        ns=NOISE,
        backends=" ".join(NOISE["backends"]),
        mitigation=flag(NOISE["mitigation"], "mitigation"),
    shell:
        "{params.step} --table {input.table} --metrics {input.metrics} "
        "--arms {params.arms} --runs-per-arm {params.ns[runs_per_arm]} "
        "--backends {params.backends} --shots {params.ns[shots]} "
        "--seed {params.ns[seed]} {params.mitigation} --out {output} > {log} 2>&1"


rule noise_table:
    """Concatenate the per-dataset noise-study rows into one table."""
    input:
        expand(rules.noise_study.output[0], dataset=DATASETS),
    output:
        report(
            res("tables/noise.csv"), caption="../report/noise.rst", category="Tables"
        ),
    log:
        logs("noise_table.log"),
    benchmark:
        res("benchmarks/noise_table.tsv")
    conda:
        CONDA_ENV
    params:
        step=step("concat_tables"),
    shell:
        "{params.step} --out {output} {input} > {log} 2>&1"
