rule train:
    input:
        dataset=res("datasets/{dataset}.parquet"),
        table=res("enumeration/{dataset}.npz"),
    output:
        metrics=res("runs/{dataset}/{arm}/{batch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{arm}/{batch}.trajectory.parquet"),
    params:
        arm=lambda wc: arm_json(wc),
        seeds=lambda wc: " ".join(map(str, BATCHES[wc.batch])),
        layers=config["model"]["layers"],
        training=json.dumps(config["training"]),
    log:
        logs("train/{dataset}/{arm}/{batch}.log"),
    conda:
        "../../envs/qhnet.yaml"
    benchmark:
        res("benchmarks/train/{dataset}/{arm}/{batch}.tsv")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    shell:
        "python {SCRIPTS}/train.py --dataset {input.dataset} --table {input.table} "
        "--arm '{params.arm}' --seeds {params.seeds} --layers {params.layers} "
        "--training '{params.training}' --metrics {output.metrics} "
        "--trajectory {output.trajectory} > {log} 2>&1"
