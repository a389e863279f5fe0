rule train:
    """Train one group of exact-mode arms (every λ of one objective, and of one h for SELBO) with one optimiser on one dataset for a batch of seeds."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res("runs/{dataset}/{optimizer}/{group}/{batch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/{optimizer}/{group}/{batch}.trajectory.parquet"),
    log:
        logs("train/{dataset}/{optimizer}/{group}/{batch}.log"),
    benchmark:
        res("benchmarks/train/{dataset}/{optimizer}/{group}/{batch}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        step=step("train"),
        arms=get_group_arms,
        seeds=get_batch_seeds,
        model=config["model"],
        tr=TRAINING,
        max_steps=get_max_steps,
        min_steps=get_min_steps,
        checkpoint_dir=get_checkpoint_dir,
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arms {params.arms} "
        "--seeds {params.seeds} --optimizer {wildcards.optimizer} "
        "--ansatz {params.model[ansatz]} --layers {params.model[layers]} "
        "--likelihood {params.model[likelihood]} "
        "--lr {params.tr[lr]} --memory {params.tr[lbfgs][memory]} "
        "--max-steps {params.max_steps} --min-steps {params.min_steps} "
        "--window-frac {params.tr[window_frac]} --rtol {params.tr[rtol]} "
        "--gtol {params.tr[gtol]} --record-every {params.tr[record_every]} "
        "--checkpoint-dir {params.checkpoint_dir} "
        "--checkpoint-every {params.tr[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"


if REMOTE:

    localrules:
        train_sampled,


rule train_sampled:
    """Train one arm from circuit shots only (as on hardware, with Adam) for a batch of seeds."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res("runs/{dataset}/adam/{sarm}/{sbatch}.metrics.parquet"),
        trajectory=res("runs/{dataset}/adam/{sarm}/{sbatch}.trajectory.parquet"),
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
        model=config["model"],
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
        "{params.step} --dataset {input.dataset} --table {input.table} --arms {wildcards.sarm} "
        "--seeds {params.seeds} --optimizer adam --ansatz {params.model[ansatz]} "
        "--layers {params.model[layers]} --likelihood {params.model[likelihood]} "
        "--lr {params.sp[lr]} "
        "--max-steps {params.sp[max_steps]} --record-every {params.sp[record_every]} "
        "--shots {params.sp[shots]} --prior-samples {params.sp[prior_samples]} "
        "--device {params.device} --noise {params.noise} --backend {params.backend} "
        "--execution {params.execution} --retries {params.retries} "
        "--max-jobs {params.max_jobs} --max-shots {params.max_shots} "
        "--checkpoint-dir {params.checkpoints} "
        "--checkpoint-every {params.sp[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"


rule trainability:
    """MLE from many starts with one optimiser, ansatz and depth on one dataset (the trainability study)."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res(
            "trainability/{dataset}/{optimizer}/{ansatz}/L{layers}.metrics.parquet"
        ),
        trajectory=res(
            "trainability/{dataset}/{optimizer}/{ansatz}/L{layers}.trajectory.parquet"
        ),
    log:
        logs("trainability/{dataset}/{optimizer}/{ansatz}/L{layers}.log"),
    benchmark:
        res("benchmarks/trainability/{dataset}/{optimizer}/{ansatz}/L{layers}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=120,
    params:
        step=step("train"),
        seeds=TB_SEEDS,
        likelihood=TRAINABILITY["likelihood"],
        tr=TRAINING,
        max_steps=get_max_steps,
        min_steps=get_min_steps,
        checkpoint_dir=get_checkpoint_dir,
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arms mle "
        "--seeds {params.seeds} --optimizer {wildcards.optimizer} "
        "--ansatz {wildcards.ansatz} --layers {wildcards.layers} "
        "--likelihood {params.likelihood} "
        "--lr {params.tr[lr]} --memory {params.tr[lbfgs][memory]} "
        "--max-steps {params.max_steps} --min-steps {params.min_steps} "
        "--window-frac {params.tr[window_frac]} --rtol {params.tr[rtol]} "
        "--gtol {params.tr[gtol]} --record-every {params.tr[record_every]} "
        "--checkpoint-dir {params.checkpoint_dir} "
        "--checkpoint-every {params.tr[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"


rule hit_rates:
    """Hit rates of the trainability study per dataset, optimiser, ansatz and depth."""
    input:
        trainability_files(),
    output:
        report(
            res("tables/hit_rates.csv"),
            caption="../report/hit_rates_table.rst",
            category="Tables",
        ),
    log:
        logs("hit_rates.log"),
    benchmark:
        res("benchmarks/hit_rates.tsv")
    conda:
        CONDA_ENV
    params:
        step=step("hit_rates"),
        hit_tol=TRAINABILITY["hit_tol"],
    shell:
        "{params.step} --metrics {input} --hit-tol {params.hit_tol} --out {output} "
        "> {log} 2>&1"
