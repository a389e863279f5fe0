rule dataset:
    output:
        res("datasets/{dataset}.parquet"),
    log:
        logs("dataset/{dataset}.log"),
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        d=config["data"],
        std="" if config["data"]["standardize"] else "--no-standardize",
    shell:
        "python {SCRIPTS}/make_dataset.py --name {wildcards.dataset} "
        "--n-train {params.d[n_train]} --n-test {params.d[n_test]} "
        "--seed {params.d[seed]} {params.std} --out {output} > {log} 2>&1"


rule enumerate_binns:
    input:
        res("datasets/{dataset}.parquet"),
    output:
        res("enumeration/{dataset}.npz"),
    log:
        logs("enumerate_binns/{dataset}.log"),
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        hidden=config["model"]["hidden"],
    shell:
        "python {SCRIPTS}/enumerate_binns.py --dataset {input} --hidden {params.hidden} "
        "--out {output} > {log} 2>&1"
