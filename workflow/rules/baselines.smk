rule baselines:
    """Classical baselines on one dataset: mean-field VI, annealing, straight-through, exhaustive."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        res("baselines/{dataset}.parquet"),
    log:
        logs("baselines/{dataset}.log"),
    benchmark:
        res("benchmarks/baselines/{dataset}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        step=step("baselines"),
        seeds=" ".join(map(str, config["seeds"])),
        optimizer=TRAINING["optimizer"],
        likelihood=config["model"]["likelihood"],
        lams=" ".join(map(str, BASELINES["lams"])),
        annealing_steps=BASELINES["annealing_steps"],
        t_start=BASELINES["t_start"],
        t_end=BASELINES["t_end"],
        ste_steps=BASELINES["ste_steps"],
        ste_lr=BASELINES["ste_lr"],
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} "
        "--seeds {params.seeds} --optimizer {params.optimizer} "
        "--likelihood {params.likelihood} --lams {params.lams} "
        "--annealing-steps {params.annealing_steps} --t-start {params.t_start} "
        "--t-end {params.t_end} --ste-steps {params.ste_steps} --ste-lr {params.ste_lr} "
        "--out {output} > {log} 2>&1"


rule baselines_table:
    """The baselines beside the circuit's arms of the same objectives, per dataset."""
    input:
        baselines=expand(rules.baselines.output[0], dataset=DATASETS),
        runs=baseline_run_files(),
    output:
        report(
            res("tables/baselines.csv"),
            caption="../report/baselines.rst",
            category="Tables",
        ),
    log:
        logs("baselines_table.log"),
    benchmark:
        res("benchmarks/baselines_table.tsv")
    conda:
        CONDA_ENV
    params:
        step=step("baselines_table"),
    shell:
        "{params.step} --baselines {input.baselines} --runs {input.runs} "
        "--out {output} > {log} 2>&1"
