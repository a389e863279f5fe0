rule train:
    input:
        dataset=res("datasets/{dataset}.parquet"),
        table=res("enumeration/{dataset}.npz"),
    output:
        metrics=res("runs/{dataset}/{arm}/{batch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{arm}/{batch}.trajectory.parquet"),
    log:
        logs("train/{dataset}/{arm}/{batch}.log"),
    benchmark:
        res("benchmarks/train/{dataset}/{arm}/{batch}.tsv")
    conda:
        "../../envs/qhnet.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        arm=lambda wc: arm_json(wc),
        seeds=lambda wc: " ".join(map(str, BATCHES[wc.batch])),
        layers=config["model"]["layers"],
        training=json.dumps(config["training"]),
    shell:
        "python {SCRIPTS}/train.py --dataset {input.dataset} --table {input.table} "
        "--arm '{params.arm}' --seeds {params.seeds} --layers {params.layers} "
        "--training '{params.training}' --metrics {output.metrics} "
        "--trajectory {output.trajectory} > {log} 2>&1"


if REMOTE:

    localrules:
        train_sampled,


rule train_sampled:
    input:
        dataset=res("datasets/{dataset}.parquet"),
        table=res("enumeration/{dataset}.npz"),
    output:
        metrics=res("runs/{dataset}/{sarm}/{batch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{sarm}/{batch}.trajectory.parquet"),
    log:
        logs("train_sampled/{dataset}/{sarm}/{batch}.log"),
    benchmark:
        res("benchmarks/train_sampled/{dataset}/{sarm}/{batch}.tsv")
    retries: 2
    conda:
        "../../envs/qhnet.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=120,
        ibm_jobs=1 if REMOTE else 0,
    params:
        arm=lambda wc: json.dumps(SAMPLED_ARMS[wc.sarm].as_dict()),
        seeds=lambda wc: " ".join(map(str, SAMPLED_BATCHES[wc.batch])),
        layers=config["model"]["layers"],
        training=json.dumps(SAMPLED),
        device=json.dumps(DEVICE),
    shell:
        "python {SCRIPTS}/train.py --dataset {input.dataset} --table {input.table} "
        "--arm '{params.arm}' --seeds {params.seeds} --layers {params.layers} "
        "--training '{params.training}' --device '{params.device}' "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"
