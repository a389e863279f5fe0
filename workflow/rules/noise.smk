rule noise_study:
    input:
        table=res("enumeration/{dataset}.npz"),
        metrics=lambda wc: [
            res(f"runs/{wc.dataset}/{a.arm}/{b}.metrics.parquet")
            for a in LANDSCAPE_ARMS
            for b in BATCHES
        ],
    output:
        res("noise/{dataset}.csv"),
    log:
        logs("noise_study/{dataset}.log"),
    benchmark:
        res("benchmarks/noise_study/{dataset}.tsv")
    conda:
        "../../envs/qhnet.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        arms=" ".join(a.arm for a in LANDSCAPE_ARMS),
        ns=NOISE,
        backends=" ".join(NOISE["backends"]),
    shell:
        "python {SCRIPTS}/noise_study.py --table {input.table} --metrics {input.metrics} "
        "--arms {params.arms} --runs-per-arm {params.ns[runs_per_arm]} "
        "--backends {params.backends} --shots {params.ns[shots]} --out {output} > {log} 2>&1"


rule noise_table:
    input:
        expand(res("noise/{dataset}.csv"), dataset=config["datasets"]),
    output:
        report(
            res("tables/noise.csv"), caption="../report/noise.rst", category="Tables"
        ),
    log:
        logs("noise_table.log"),
    conda:
        "../../envs/qhnet.yaml"
    shell:
        "python {SCRIPTS}/concat_tables.py --out {output} {input} > {log} 2>&1"
