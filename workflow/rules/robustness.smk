# The robustness study (config robustness, docs/method.md §8): the exact sweep in
# every cell of the choices the paper left open, claims 1, 3-6 decided per cell.
# A cell is {ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}.


rule robust_dataset:
    """Draw one dataset at one training-set size of the robustness study."""
    output:
        res("data/n{n_train}/{dataset}.parquet"),
    log:
        logs("robust_dataset/n{n_train}/{dataset}.log"),
    benchmark:
        res("benchmarks/robust_dataset/n{n_train}/{dataset}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=500,
        runtime=5,
    params:
        step=step("make_dataset"),
        n_test=config["data"]["n_test"],
        n_val=config["data"]["n_val"],
        seed=config["data"]["seed"],
        standardize=flag(config["data"]["standardize"], "standardize"),
    shell:
        "{params.step} --name {wildcards.dataset} --n-train {wildcards.n_train} "
        "--n-test {params.n_test} --n-val {params.n_val} --seed {params.seed} "
        "{params.standardize} "
        "--out {output} > {log} 2>&1"


rule robust_table:
    """Tabulate all 2^n BiNNs of one dataset at one training-set size."""
    input:
        rules.robust_dataset.output,
    output:
        res("data/n{n_train}/{dataset}.npz"),
    log:
        logs("robust_table/n{n_train}/{dataset}.log"),
    benchmark:
        res("benchmarks/robust_table/n{n_train}/{dataset}.tsv")
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


rule robust_train:
    """Train one group of arms in one cell of the robustness study, every seed."""
    input:
        dataset=rules.robust_dataset.output[0],
        table=rules.robust_table.output[0],
    output:
        metrics=res(
            "cells/{ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}/"
            "{dataset}/{group}.metrics.parquet"
        ),
        trajectory=res(
            "cells/{ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}/"
            "{dataset}/{group}.trajectory.parquet"
        ),
    log:
        logs(
            "robust_train/{ansatz}/L{layers}/n{n_train}/{likelihood}/{optimizer}/"
            "{dataset}/{group}.log"
        ),
    benchmark:
        res(
            "benchmarks/robust_train/{ansatz}/L{layers}/n{n_train}/{likelihood}/"
            "{optimizer}/{dataset}/{group}.tsv"
        )
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        step=step("train"),
        arms=get_group_arms,
        seeds=" ".join(map(str, config["seeds"])),
        tr=TRAINING,
        max_steps=get_max_steps,
        min_steps=get_min_steps,
        checkpoint_dir=get_checkpoint_dir,
        anneal_frac=ROBUSTNESS["anneal_frac"],
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arms {params.arms} "
        "--seeds {params.seeds} --optimizer {wildcards.optimizer} "
        "--ansatz {wildcards.ansatz} --layers {wildcards.layers} "
        "--likelihood {wildcards.likelihood} "
        "--lr {params.tr[lr]} --memory {params.tr[lbfgs][memory]} "
        "--max-steps {params.max_steps} --min-steps {params.min_steps} "
        "--window-frac {params.tr[window_frac]} --rtol {params.tr[rtol]} "
        "--gtol {params.tr[gtol]} --record-every {params.tr[record_every]} "
        "--anneal-frac {params.anneal_frac} "
        "--checkpoint-dir {params.checkpoint_dir} "
        "--checkpoint-every {params.tr[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"


rule robustness:
    """Claims 1, 3-6 in every cell: the tidy runs, the verdict map and its figure."""
    input:
        robust_run_files(),
    output:
        runs=res("tables/robustness_runs.parquet"),
        map=report(
            res("tables/verdict_map.csv"),
            caption="../report/verdict_map_table.rst",
            category="Robustness",
        ),
        figure=report(
            res("figures/verdict_map.png"),
            caption="../report/verdict_map.rst",
            category="Robustness",
        ),
        schedules=report(
            res("tables/schedules.csv"),
            caption="../report/schedules_table.rst",
            category="Robustness",
        ),
    log:
        logs("robustness.log"),
    benchmark:
        res("benchmarks/robustness.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        step=step("robustness"),
        settings=get_verdict_args,
    shell:
        "{params.step} --metrics {input} {params.settings} --runs-out {output.runs} "
        "--map-out {output.map} --figure {output.figure} "
        "--schedules-out {output.schedules} > {log} 2>&1"


rule robustness_report:
    """The robustness study's report: the map, where each claim holds, the records."""
    input:
        vmap=rules.robustness.output.map,
        figure=rules.robustness.output.figure,
        schedules=rules.robustness.output.schedules,
        notebook="notebooks/robustness.ipynb",
    output:
        executed=res("report/robustness.ipynb"),
        html=report(
            res("report/robustness.html"),
            caption="../report/robustness_notebook.rst",
            category="Report",
        ),
    log:
        logs("robustness_report.log"),
    benchmark:
        res("benchmarks/robustness_report.tsv")
    retries: 2
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        step=step("render_notebook"),
    shell:
        "{params.step} --notebook {input.notebook} "
        "--executed {output.executed} --html {output.html} "
        "-p map_path {input.vmap} -p figure_path {input.figure} "
        "-p schedules_path {input.schedules} > {log} 2>&1"
