rule dataset:
    """Draw one dataset's train and test points (seeded, standardised) into Parquet."""
    output:
        res("datasets/{dataset}.parquet"),
    log:
        logs("dataset/{dataset}.log"),
    benchmark:
        res("benchmarks/dataset/{dataset}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=500,
        runtime=5,
    params:
        step=step("make_dataset"),
        n_train=config["data"]["n_train"],
        n_test=config["data"]["n_test"],
        n_val=config["data"]["n_val"],
        seed=config["data"]["seed"],
        standardize=flag(config["data"]["standardize"], "standardize"),
    shell:
        "{params.step} --name {wildcards.dataset} --n-train {params.n_train} "
        "--n-test {params.n_test} --n-val {params.n_val} --seed {params.seed} "
        "{params.standardize} "
        "--out {output} > {log} 2>&1"


rule enumerate_binns:
    """Tabulate train/test log-likelihood and accuracy of all 2^n BiNNs of a dataset."""
    input:
        rules.dataset.output,
    output:
        res("enumeration/{dataset}.npz"),
    log:
        logs("enumerate_binns/{dataset}.log"),
    benchmark:
        res("benchmarks/enumerate_binns/{dataset}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        step=step("enumerate_binns"),
        hidden=get_hidden,
    shell:
        "{params.step} --dataset {input} --hidden {params.hidden} --out {output} "
        "> {log} 2>&1"
