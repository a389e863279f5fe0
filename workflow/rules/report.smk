rule figures:
    input:
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
    shell:
        "python {SCRIPTS}/figures.py --runs {input.runs} --trajectories {input.trajectories} "
        "--landscapes {input.landscapes} --outdir {RESULTS}/figures > {log} 2>&1"


rule claims:
    input:
        runs=res("tables/runs.parquet"),
        variance=res("tables/variance.csv"),
        landscape=res("tables/landscape.csv"),
    output:
        report(res("tables/claims.csv"), caption="../report/claims.rst", category="Tables"),
    log:
        logs("claims.log"),
    conda:
        "../../envs/qhnet.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python {SCRIPTS}/claims.py --runs {input.runs} --variance {input.variance} "
        "--landscape {input.landscape} --out {output} > {log} 2>&1"


rule notebook:
    input:
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
            res("report/report.html"), caption="../report/notebook.rst", category="Report"
        ),
    params:
        landscape_dir=lambda wc, input: str(Path(input.landscapes[0]).parent.resolve()),
        noise=str(Path(res("tables/noise.csv")).resolve()),
    log:
        logs("notebook.log"),
    conda:
        "../../envs/qhnet.yaml"
    retries: 2
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        "python {SCRIPTS}/render_notebook.py --notebook {input.notebook} "
        "--executed {output.executed} --html {output.html} "
        "-p runs_path {input.runs} -p variance_path {input.variance} "
        "-p trajectories_path {input.trajectories} -p landscape_path {input.landscape} "
        "-p claims_path {input.claims} -p landscape_dir {params.landscape_dir} "
        "-p noise_path {params.noise} "
        "> {log} 2>&1"
