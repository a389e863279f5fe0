rule figures:
    input:
        **optional_tables(),
        runs=res("tables/runs.parquet"),
        trajectories=res("tables/trajectories.parquet"),
        landscapes=expand(res("landscape/{dataset}.npz"), dataset=config["datasets"]),
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
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        noise=lambda wc, input: (
            f"--noise {input.noise}" if "noise" in input.keys() else ""
        ),
    shell:
        "python {SCRIPTS}/figures.py --runs {input.runs} --trajectories {input.trajectories} "
        "--landscapes {input.landscapes} {params.noise} --outdir {RESULTS}/figures "
        "> {log} 2>&1"


rule claims:
    input:
        **optional_tables(),
        runs=res("tables/runs.parquet"),
        variance=res("tables/variance.csv"),
        landscape=res("tables/landscape.csv"),
    output:
        report(
            res("tables/claims.csv"), caption="../report/claims.rst", category="Tables"
        ),
    log:
        logs("claims.log"),
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        noise=lambda wc, input: (
            f"--noise {input.noise}" if "noise" in input.keys() else ""
        ),
    shell:
        "python {SCRIPTS}/claims.py --runs {input.runs} --variance {input.variance} "
        "--landscape {input.landscape} {params.noise} --out {output} > {log} 2>&1"


rule notebook:
    input:
        **optional_tables(),
        runs=res("tables/runs.parquet"),
        variance=res("tables/variance.csv"),
        trajectories=res("tables/trajectories.parquet"),
        landscape=res("tables/landscape.csv"),
        claims=res("tables/claims.csv"),
        landscapes=expand(res("landscape/{dataset}.npz"), dataset=config["datasets"]),
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
    retries: 2
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        landscape_dir=lambda wc, input: str(Path(input.landscapes[0]).parent.resolve()),
        noise=str(Path(res("tables/noise.csv")).resolve()),
    shell:
        "python {SCRIPTS}/render_notebook.py --notebook {input.notebook} "
        "--executed {output.executed} --html {output.html} "
        "-p runs_path {input.runs} -p variance_path {input.variance} "
        "-p trajectories_path {input.trajectories} -p landscape_path {input.landscape} "
        "-p claims_path {input.claims} -p landscape_dir {params.landscape_dir} "
        "-p noise_path {params.noise} "
        "> {log} 2>&1"
