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
    conda:
        CONDA_ENV
    params:
        step=step("concat_tables"),
    shell:
        "{params.step} --out {output} {input} > {log} 2>&1"
