# The SELBO ablation (sampled.ablation, docs/method.md §7): the sampled SELBO arm
# trained again with the prior samples m or the shots N_qc changed, on the
# simulator, from the same seeds; compared with its exact twin.


rule ablation_train:
    """Train the sampled SELBO arm at one (m, N_qc) setting for a batch of seeds."""
    input:
        dataset=rules.dataset.output[0],
        table=rules.enumerate_binns.output[0],
    output:
        metrics=res("ablation/{dataset}/m{m}/s{shots}/{sbatch}.metrics.parquet"),
        trajectory=res("ablation/{dataset}/m{m}/s{shots}/{sbatch}.trajectory.parquet"),
    log:
        logs("ablation_train/{dataset}/m{m}/s{shots}/{sbatch}.log"),
    benchmark:
        res("benchmarks/ablation_train/{dataset}/m{m}/s{shots}/{sbatch}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=120,
    params:
        step=step("train"),
        arm=ABLATION_ARM,
        seeds=get_sampled_batch_seeds,
        model=config["model"],
        sp=SAMPLED,
        dev=DEVICE,
        checkpoints=get_checkpoint_dir,
    shell:
        "{params.step} --dataset {input.dataset} --table {input.table} --arms {params.arm} "
        "--seeds {params.seeds} --optimizer adam --ansatz {params.model[ansatz]} "
        "--layers {params.model[layers]} --likelihood {params.model[likelihood]} "
        "--lr {params.sp[lr]} "
        "--max-steps {params.sp[max_steps]} --record-every {params.sp[record_every]} "
        "--shots {wildcards.shots} --prior-samples {wildcards.m} "
        "--device simulated --noise none --backend none --execution job "
        "--retries {params.dev[retries]} --max-jobs {params.dev[max_jobs]} "
        "--max-shots {params.dev[max_shots]} "
        "--checkpoint-dir {params.checkpoints} "
        "--checkpoint-every {params.sp[checkpoint_every]} "
        "--metrics {output.metrics} --trajectory {output.trajectory} > {log} 2>&1"


rule selbo_ablation:
    """Each (m, N_qc) setting of sampled SELBO against exact SELBO on seed pairs."""
    input:
        arm=ablation_arm_files(),
        ablation=ablation_files(),
    output:
        report(
            res("tables/selbo_ablation.csv"),
            caption="../report/selbo_ablation.rst",
            category="Tables",
        ),
    log:
        logs("selbo_ablation.log"),
    benchmark:
        res("benchmarks/selbo_ablation.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        step=step("selbo_ablation"),
        settings=get_verdict_args,
    shell:
        "{params.step} --metrics {input.arm} {input.ablation} {params.settings} "
        "--out {output} > {log} 2>&1"
