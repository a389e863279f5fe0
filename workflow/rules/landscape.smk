rule landscape:
    input:
        table=res("enumeration/{dataset}.npz"),
        metrics=lambda wc: [
            res(
                f"runs/{wc.dataset}/{a.arm}/{SEED_BATCH[config['landscape']['seed']]}.metrics.parquet"
            )
            for a in LANDSCAPE_ARMS
        ],
    output:
        npz=res("landscape/{dataset}.npz"),
        csv=res("landscape/{dataset}.csv"),
    log:
        logs("landscape/{dataset}.log"),
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        arms=json.dumps([a.as_dict() for a in LANDSCAPE_ARMS]),
        ls=config["landscape"],
    shell:
        "python {SCRIPTS}/landscape.py --dataset {wildcards.dataset} --table {input.table} "
        "--arms '{params.arms}' --metrics {input.metrics} --seed {params.ls[seed]} "
        "--span {params.ls[span]} --resolution {params.ls[resolution]} "
        "--direction-seed {params.ls[direction_seed]} --out {output.npz} "
        "--csv {output.csv} > {log} 2>&1"


rule landscape_table:
    input:
        expand(res("landscape/{dataset}.csv"), dataset=config["datasets"]),
    output:
        res("tables/landscape.csv"),
    log:
        logs("landscape_table.log"),
    conda:
        "../../envs/qhnet.yaml"
    shell:
        "python {SCRIPTS}/concat_tables.py --out {output} {input} > {log} 2>&1"
