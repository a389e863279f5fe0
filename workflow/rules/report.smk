rule figures:
    """Draw every figure of the report from the aggregated tables."""
    input:
        **optional_tables(),
        runs=rules.aggregate.output.runs,
        trajectories=rules.aggregate.output.trajectories,
        landscapes=expand(rules.landscape.output.npz, dataset=DATASETS),
        roughness=rules.roughness_table.output[0],
    output:
        **{
            f: report(
                res(f"figures/{f}.png"),
                caption=f"../report/{f}.rst",
                category="Figures",
            )
            for f in FIGURES
        },
    log:
        logs("figures.log"),
    benchmark:
        res("benchmarks/figures.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        step=step("figures"),
        figures=get_figure_args,
        noise=get_noise_arg,
        hit_rates=get_hit_rates_arg,
    shell:
        "{params.step} --runs {input.runs} --trajectories {input.trajectories} "
        "--landscapes {input.landscapes} --roughness {input.roughness} {params.noise} "
        "{params.hit_rates} "
        "{params.figures} > {log} 2>&1"


rule claims:
    """Decide each of the paper's claims (supported / refuted / cannot tell) as typed records."""
    input:
        **optional_tables(),
        runs=rules.aggregate.output.runs,
        roughness=rules.roughness_table.output[0],
    output:
        claims=report(
            res("tables/claims.csv"), caption="../report/claims.rst", category="Tables"
        ),
        by_optimizer=report(
            res("tables/claims_by_optimizer.csv"),
            caption="../report/claims_by_optimizer.rst",
            category="Tables",
        ),
    log:
        logs("claims.log"),
    benchmark:
        res("benchmarks/claims.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        step=step("claims"),
        noise=get_noise_arg,
        settings=get_verdict_args,
        optimizer=TRAINING["optimizer"],
        optimizers=" ".join(OPTIMIZERS),
    shell:
        "{params.step} --runs {input.runs} --roughness {input.roughness} {params.noise} "
        "--optimizer {params.optimizer} {params.settings} --out {output.claims} "
        "--by-optimizer {params.optimizers} --by-optimizer-out {output.by_optimizer} "
        "> {log} 2>&1"


rule notebook:
    """Run the report notebook on the tables with papermill and render it to HTML."""
    input:
        **optional_tables(),
        **baseline_tables(),
        **ablation_tables(),
        runs=rules.aggregate.output.runs,
        variance=rules.aggregate.output.variance,
        trajectories=rules.aggregate.output.trajectories,
        landscape=rules.landscape_table.output[0],
        roughness=rules.roughness_table.output[0],
        claims=rules.claims.output.claims,
        by_optimizer=rules.claims.output.by_optimizer,
        landscapes=expand(rules.landscape.output.npz, dataset=DATASETS),
        notebook="notebooks/report.ipynb",
    output:
        executed=res("report/report.ipynb"),
        html=report(
            res("report/report.html"),
            caption="../report/notebook.rst",
            category="Report",
        ),
    log:
        logs("notebook.log"),
    benchmark:
        res("benchmarks/notebook.tsv")
    retries: 2
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        step=step("render_notebook"),
        landscape_dir=get_landscape_dir,
        noise=get_noise_param,
        optional=get_optional_params,
        n_boot=config["analysis"]["n_boot"],
        seed=config["analysis"]["seed"],
        optimizer=TRAINING["optimizer"],
    shell:
        "{params.step} --notebook {input.notebook} "
        "--executed {output.executed} --html {output.html} "
        "-p runs_path {input.runs} -p variance_path {input.variance} "
        "-p trajectories_path {input.trajectories} -p landscape_path {input.landscape} "
        "-p roughness_path {input.roughness} -p claims_path {input.claims} "
        "-p by_optimizer_path {input.by_optimizer} "
        "-p landscape_dir {params.landscape_dir} "
        "{params.noise} {params.optional} -p n_boot {params.n_boot} -p seed {params.seed} "
        "-p optimizer {params.optimizer} "
        "> {log} 2>&1"
