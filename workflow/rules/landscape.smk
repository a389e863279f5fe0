rule landscape:
    """Slice −J around the trained angles of the MLE, ELBO and SELBO landscape arms."""
    input:
        table=rules.enumerate_binns.output[0],
        metrics=get_landscape_metrics,
    output:
        npz=res("landscape/{dataset}.npz"),
        csv=res("landscape/{dataset}.csv"),
    log:
        logs("landscape/{dataset}.log"),
    benchmark:
        res("benchmarks/landscape/{dataset}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        step=step("landscape"),
        arms=" ".join(a.arm for a in LANDSCAPE_ARMS),
        ls=config["landscape"],
    shell:
        "{params.step} --dataset {wildcards.dataset} --table {input.table} "
        "--arms {params.arms} --metrics {input.metrics} --seed {params.ls[seed]} "
        "--span {params.ls[span]} --resolution {params.ls[resolution]} "
        "--direction-seed {params.ls[direction_seed]} --out {output.npz} "
        "--csv {output.csv} > {log} 2>&1"


rule landscape_table:
    """Concatenate the per-dataset roughness numbers into one table."""
    input:
        expand(rules.landscape.output.csv, dataset=DATASETS),
    output:
        res("tables/landscape.csv"),
    log:
        logs("landscape_table.log"),
    benchmark:
        res("benchmarks/landscape_table.tsv")
    conda:
        CONDA_ENV
    params:
        step=step("concat_tables"),
    shell:
        "{params.step} --out {output} {input} > {log} 2>&1"


rule roughness:
    """Roughness of many slices per objective along shared directions (claim 2)."""
    input:
        table=rules.enumerate_binns.output[0],
        metrics=get_roughness_metrics,
    output:
        res("roughness/{dataset}.csv"),
    log:
        logs("roughness/{dataset}.log"),
    benchmark:
        res("benchmarks/roughness/{dataset}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        step=step("roughness"),
        arms=" ".join(a.arm for a in ROUGHNESS_ARMS),
        seeds=" ".join(map(str, ROUGHNESS_SEEDS)),
        r=ROUGHNESS,
        ls=config["landscape"],
    shell:
        "{params.step} --dataset {wildcards.dataset} --table {input.table} "
        "--arms {params.arms} --metrics {input.metrics} --seeds {params.seeds} "
        "--directions {params.r[directions]} --span {params.ls[span]} "
        "--resolution {params.r[resolution]} --direction-seed {params.ls[direction_seed]} "
        "--out {output} > {log} 2>&1"


rule roughness_table:
    """Concatenate the per-dataset roughness slices into one table."""
    input:
        expand(rules.roughness.output[0], dataset=DATASETS),
    output:
        res("tables/roughness.csv"),
    log:
        logs("roughness_table.log"),
    benchmark:
        res("benchmarks/roughness_table.tsv")
    conda:
        CONDA_ENV
    params:
        step=step("concat_tables"),
    shell:
        "{params.step} --out {output} {input} > {log} 2>&1"
