rule train:
    """Train one exact-mode arm (objective, λ, h) on one dataset for a batch of seeds."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res("runs/{dataset}/{arm}/{batch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{arm}/{batch}.trajectory.parquet"),
    log:
        logs("train/{dataset}/{arm}/{batch}.log"),
    benchmark:
        res("benchmarks/train/{dataset}/{arm}/{batch}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        step=step("train"),
        seeds=get_batch_seeds,
        layers=config["model"]["layers"],
        tr=config["training"],
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arm {wildcards.arm} "
        "--seeds {params.seeds} --layers {params.layers} --lr {params.tr[lr]} "
        "--max-steps {params.tr[max_steps]} --min-steps {params.tr[min_steps]} "
        "--window-frac {params.tr[window_frac]} --tol {params.tr[tol]} "
        "--record-every {params.tr[record_every]} --metrics {output.metrics} "
        "--trajectory {output.trajectory} > {log} 2>&1"


if REMOTE:

    localrules:
        train_sampled,


rule train_sampled:
    """Train one arm from circuit shots only (as on hardware) for a batch of seeds."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res("runs/{dataset}/{sarm}/{sbatch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{sarm}/{sbatch}.trajectory.parquet"),
    log:
        logs("train_sampled/{dataset}/{sarm}/{sbatch}.log"),
    benchmark:
        res("benchmarks/train_sampled/{dataset}/{sarm}/{sbatch}.tsv")
    retries: 2
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=120,
        ibm_jobs=1 if REMOTE else 0,
    params:
        step=step("train"),
        seeds=get_sampled_batch_seeds,
        layers=config["model"]["layers"],
        sp=SAMPLED,
        device=DEVICE["name"],
        noise=opt(DEVICE["noise"]),
        backend=opt(DEVICE["backend"]),
        execution=DEVICE["execution"],
        retries=DEVICE["retries"],
        max_jobs=DEVICE["max_jobs"],
        max_shots=DEVICE["max_shots"],
        checkpoints=get_checkpoint_dir,
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arm {wildcards.sarm} "
        "--seeds {params.seeds} --layers {params.layers} --lr {params.sp[lr]} "
        "--max-steps {params.sp[max_steps]} --record-every {params.sp[record_every]} "
        "--shots {params.sp[shots]} --prior-samples {params.sp[prior_samples]} "
        "--device {params.device} --noise {params.noise} --backend {params.backend} "
        "--execution {params.execution} --retries {params.retries} "
        "--max-jobs {params.max_jobs} --max-shots {params.max_shots} "
        "--checkpoint-dir {params.checkpoints} "
        "--checkpoint-every {params.sp[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"
