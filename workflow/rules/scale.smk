# The scale study (scale, docs/method.md §9): BiNNs beyond enumeration, the circuit
# as a matrix product state and the likelihood by forward passes; beside
# mean-field VI and the straight-through estimator. Run with
#   .venv/bin/snakemake --cores 2 --configfile config/scale.yaml


rule scale_train:
    """Train one arm of the scale study on one problem from every seed."""
    input:
        dataset=rules.dataset.output[0],
    output:
        res("scale/{dataset}/h{hidden}/{scale_arm}.parquet"),
    log:
        logs("scale_train/{dataset}/h{hidden}/{scale_arm}.log"),
    benchmark:
        res("benchmarks/scale_train/{dataset}/h{hidden}/{scale_arm}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=3000,
        runtime=120,
    params:
        step=step("scale_train"),
        arm=get_scale_arm_args,
        seeds=" ".join(map(str, range(SCALE["seeds"]))),
        sc=SCALE,
        likelihood=config["model"]["likelihood"],
    shell:
        "{params.step} --dataset {input.dataset} --hidden {wildcards.hidden} "
        "--arm {wildcards.scale_arm} {params.arm} --seeds {params.seeds} "
        "--layers {params.sc[layers]} --gradient {params.sc[gradient]} "
        "--shots {params.sc[shots]} --prior-samples {params.sc[prior_samples]} "
        "--max-steps {params.sc[max_steps]} --lr {params.sc[lr]} "
        "--likelihood {params.likelihood} --ste-steps {params.sc[ste_steps]} "
        "--ste-lr {params.sc[ste_lr]} --out {output} > {log} 2>&1"


rule scale_table:
    """Every run of the scale study, and per problem and arm its accuracy, spread and cost."""
    input:
        scale_run_files(),
    output:
        runs=report(
            res("tables/scale_runs.csv"),
            caption="../report/scale_runs.rst",
            category="Scale",
        ),
        summary=report(
            res("tables/scale.csv"),
            caption="../report/scale_table.rst",
            category="Scale",
        ),
    log:
        logs("scale_table.log"),
    benchmark:
        res("benchmarks/scale_table.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        step=step("scale_table"),
    shell:
        "{params.step} --runs {input} --runs-out {output.runs} "
        "--out {output.summary} > {log} 2>&1"


rule scale_report:
    """The scale study's report: accuracy and spread per method, beside the baselines, and the cost."""
    input:
        summary=rules.scale_table.output.summary,
        runs=rules.scale_table.output.runs,
        notebook="notebooks/scale.ipynb",
    output:
        executed=res("report/scale.ipynb"),
        html=report(
            res("report/scale.html"),
            caption="../report/scale_notebook.rst",
            category="Report",
        ),
    log:
        logs("scale_report.log"),
    benchmark:
        res("benchmarks/scale_report.tsv")
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
        "-p summary_path {input.summary} -p runs_path {input.runs} > {log} 2>&1"
