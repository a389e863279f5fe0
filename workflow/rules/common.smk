# Shared definitions: the interpreter every job runs, the configuration checks,
# the grid of arms and seed batches (qhnet.experiments.sweep), the figure list,
# and the named input functions of the rules.
#
# Building the DAG imports only the standard-library parts of qhnet (sweep,
# config checks, the device catalogue): neither NumPy, JAX nor Qiskit. They are
# read from this checkout's src/, so the Snakemake driver does not even need
# qhnet installed (as with --sdm conda); every job runs PYTHON, which has it.

import shlex
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

sys.path.insert(0, str(Path(workflow.basedir).parent / "src"))

from qhnet.experiments.config import (
    ConfigError,
    ablation_settings,
    cell_path,
    check_config,
    describe_hardware_plan,
    robustness_cells,
    roughness_seeds,
    scale_problems,
    trainability_datasets,
)
from qhnet.experiments.sweep import (
    arm_group,
    arm_name,
    arm_groups,
    dataset_hidden,
    dataset_qubits,
    exact_arms,
    landscape_arms,
    objective_arm,
    sampled_arm,
    schedule_arms,
    seed_batches,
)

try:
    check_config(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

SCRIPTS = Path(workflow.basedir).parent / "scripts"
CONDA_ENV = "../../envs/qhnet.yaml"

# Every job runs the interpreter Snakemake itself runs under (so a fresh clone
# works without activating anything, and SLURM jobs, which start the same
# interpreter on the node, too); with --sdm conda, the rule's environment's.
if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
    PYTHON = "python"
else:
    PYTHON = sys.executable

RESULTS = config["results"].rstrip("/")
DATASETS = config["datasets"]
TRAINABILITY = config["trainability"]
BASELINES = config["baselines"]
TB_DATASETS = TRAINABILITY["datasets"] if TRAINABILITY["enabled"] else []
# The scale study (BiNNs beyond enumeration): when enabled, the default target builds it alone.
SCALE = config["scale"]
SCALE_PROBLEMS = scale_problems(SCALE) if SCALE["enabled"] else []
SCALE_ARMS = {a["name"]: a for a in SCALE["arms"]}
SCALE_DATASETS = [p["dataset"] for p in SCALE_PROBLEMS]
ALL_DATASETS = list(dict.fromkeys([*DATASETS, *TB_DATASETS, *SCALE_DATASETS]))
# arm names do not depend on n; the bandwidths they stand for are resolved per
# table by the training step
N_QUBITS = dataset_qubits(config["model"], DATASETS[0])
OPTIMIZERS = config["optimizers"]
TRAINING = config["training"]

ARMS = {
    a.arm: a
    for a in exact_arms(
        config["objectives"], config["lambdas"], config["bandwidths"], N_QUBITS
    )
}
# One training job per group: every λ of one objective (and one h for SELBO)
GROUPS = arm_groups(ARMS.values())
BATCHES = seed_batches(config["seeds"], config["training"]["seeds_per_job"])
SEED_BATCH = {s: b for b, seeds in BATCHES.items() for s in seeds}

SAMPLED = config["sampled"]
DEVICE = config["device"]
SAMPLED_ARMS = {}
if SAMPLED["enabled"]:
    for obj in SAMPLED["objectives"]:
        a = sampled_arm(obj, SAMPLED["lam"], SAMPLED["bandwidth"], N_QUBITS)
        SAMPLED_ARMS[a.arm] = a
SAMPLED_BATCHES = seed_batches(config["seeds"], SAMPLED["seeds_per_job"])
# The SELBO ablation: the sampled SELBO arm at other (m, N_qc) settings, on the simulator
ABLATION = SAMPLED["ablation"]["enabled"]
ABLATION_SETTINGS = ablation_settings(SAMPLED) if ABLATION else []
ABLATION_ARM = (
    sampled_arm("selbo", SAMPLED["lam"], SAMPLED["bandwidth"], N_QUBITS).arm
    if ABLATION
    else None
)
REMOTE = SAMPLED["enabled"] and DEVICE["name"] == "qiskit.remote"
if REMOTE:
    # the cost of the IBM path, from the config alone (check_config refused it above
    # if it exceeds device.max_jobs / device.max_shots); shown by snakemake -n too
    print(
        f"qiskit.remote sampled arm: {describe_hardware_plan(config)}", file=sys.stderr
    )

NOISE = config["noise_study"]
LANDSCAPE_ARMS = landscape_arms(
    list(ARMS.values()), config["objectives"], config["landscape"], N_QUBITS
)

ROUGHNESS = config["landscape"]["roughness"]
ROUGHNESS_SEEDS = roughness_seeds(config)
# MLE, ELBO at each λ of landscape.roughness.elbo_lams, and the landscape's SELBO arm
ROUGHNESS_ARMS = [a for a in LANDSCAPE_ARMS if a.objective == "mle"]
ROUGHNESS_ARMS += [
    a
    for a in ARMS.values()
    if a.objective == "elbo" and a.lam in [float(x) for x in ROUGHNESS["elbo_lams"]]
]
ROUGHNESS_ARMS += [a for a in LANDSCAPE_ARMS if a.objective == "selbo"]

TB_SEEDS = " ".join(map(str, TRAINABILITY["seeds"]))

# The robustness study: when enabled, the default target builds it alone.
ROBUSTNESS = config["robustness"]
ROBUST_CELLS = robustness_cells(ROBUSTNESS) if ROBUSTNESS["enabled"] else []
# λ schedules: groups of their own (a scheduled program is compiled apart), trained
# in the robustness study's cells beside the fixed-λ groups
SCHEDULE_GROUPS = arm_groups(
    schedule_arms(
        config["objectives"], ROBUSTNESS["schedules"], config["bandwidths"], N_QUBITS
    )
    if ROBUSTNESS["enabled"]
    else []
)
ROBUST_GROUPS = {**GROUPS, **SCHEDULE_GROUPS}

# The report's figures: the one list (scripts/figures.py draws each by name).
FIGURES = [
    "accuracy_distributions",
    "accuracy_vs_lambda",
    "selbo_bandwidth",
    "landscapes",
    "roughness",
    "training_curves",
]
if SAMPLED_ARMS:
    FIGURES.append("sampled_vs_exact")
if NOISE["enabled"]:
    FIGURES.append("noise")
if TRAINABILITY["enabled"]:
    FIGURES.append("hit_rates")


wildcard_constraints:
    dataset="|".join(ALL_DATASETS),
    optimizer="adam|lbfgs",
    ansatz="[a-z_]+",
    layers=r"\d+",
    group="|".join(sorted(ROBUST_GROUPS, key=len, reverse=True)),
    sarm="|".join(sorted(SAMPLED_ARMS, key=len, reverse=True)).replace(".", r"\.")
    or "NONE",
    batch="|".join(BATCHES),
    m=r"\d+|exact",
    shots=r"\d+",
    n_train=r"\d+",
    likelihood="sum|mean",
    sbatch="|".join(SAMPLED_BATCHES),
    hidden=r"\d+",
    scale_arm="|".join(sorted(SCALE_ARMS, key=len, reverse=True)).replace(".", r"\.")
    or "NONE",


def res(path):
    """A path under the configured results directory."""
    return f"{RESULTS}/{path}"


def logs(path):
    """A log path under the results directory."""
    return f"{RESULTS}/logs/{path}"


def step(name):
    """The command that runs pipeline step scripts/<name>.py with the jobs' interpreter."""
    return f"{PYTHON} {SCRIPTS / name}.py"


def flag(value, name):
    """``--name`` / ``--no-name`` for a boolean config value."""
    return f"--{name}" if value else f"--no-{name}"


def opt(value):
    """A config value as a shell argument ("none" for null)."""
    return "none" if value is None else str(value)


# --- named input functions ----------------------------------------------------


def run_file(dataset, optimizer, arm, batch, kind="metrics"):
    """The training output holding an exact arm's runs (its group's job)."""
    group = arm_group(ARMS[arm])
    return res(f"runs/{dataset}/{optimizer}/{group}/{batch}.{kind}.parquet")


def get_group_arms(wildcards):
    """The arms the job of the ``group`` wildcard trains."""
    return " ".join(a.arm for a in ROBUST_GROUPS[wildcards.group])


def get_batch_seeds(wildcards):
    """The seeds of the exact-mode batch named by the ``batch`` wildcard."""
    return " ".join(map(str, BATCHES[wildcards.batch]))


def get_sampled_batch_seeds(wildcards):
    """The seeds of the sampled-mode batch named by the ``sbatch`` wildcard."""
    return " ".join(map(str, SAMPLED_BATCHES[wildcards.sbatch]))


def get_hidden(wildcards):
    """Hidden units of the dataset's BiNN (model.hidden or model.digits_hidden)."""
    return dataset_hidden(config["model"], wildcards.dataset)


def get_max_steps(wildcards):
    """The step budget of the run's optimiser."""
    if wildcards.optimizer == "lbfgs":
        return TRAINING["lbfgs"]["max_steps"]
    return TRAINING["max_steps"]


def get_min_steps(wildcards):
    """The first step at which the run's optimiser may stop."""
    if wildcards.optimizer == "lbfgs":
        return TRAINING["lbfgs"]["min_steps"]
    return TRAINING["min_steps"]


def get_checkpoint_dir(wildcards, output):
    """A training batch's checkpoint folder, next to its metrics (``<batch>.ckpt``)."""
    return output.metrics.replace(".metrics.parquet", ".ckpt")


def run_files(kind):
    """Every training output of one kind ("metrics" or "trajectory"), both modes."""
    exact = expand(
        res("runs/{dataset}/{optimizer}/{group}/{batch}.{kind}.parquet"),
        dataset=DATASETS,
        optimizer=OPTIMIZERS,
        group=GROUPS,
        batch=BATCHES,
        kind=kind,
    )
    sampled = expand(
        res("runs/{dataset}/adam/{arm}/{batch}.{kind}.parquet"),
        dataset=DATASETS,
        arm=SAMPLED_ARMS,
        batch=SAMPLED_BATCHES,
        kind=kind,
    )
    return exact + sampled


def baseline_arms():
    """The circuit's arms the baselines sit beside: mle (λ = 0) and elbo_lam<λ>."""
    return [objective_arm(lam) for lam in BASELINES["lams"]]


def baseline_run_files():
    """Metrics of those arms under training.optimizer: the baselines' table reruns alone."""
    if not BASELINES["enabled"]:  # the sweep need not train those arms then
        return []
    opt = TRAINING["optimizer"]
    files = [
        run_file(d, opt, arm, b)
        for d in DATASETS
        for arm in baseline_arms()
        for b in BATCHES
    ]
    return list(dict.fromkeys(files))


def get_landscape_metrics(wildcards):
    """Metrics of the landscape seed's batch for each arm the slices are centred on."""
    batch = SEED_BATCH[config["landscape"]["seed"]]
    opt = TRAINING["optimizer"]
    files = [run_file(wildcards.dataset, opt, a.arm, batch) for a in LANDSCAPE_ARMS]
    return list(dict.fromkeys(files))


def get_roughness_metrics(wildcards):
    """Metrics of the batches holding the roughness seeds, for each arm sliced."""
    batches = sorted({SEED_BATCH[s] for s in ROUGHNESS_SEEDS})
    opt = TRAINING["optimizer"]
    files = [
        run_file(wildcards.dataset, opt, a.arm, b)
        for a in ROUGHNESS_ARMS
        for b in batches
    ]
    return list(dict.fromkeys(files))


def get_noise_metrics(wildcards):
    """Metrics of every batch of the arms the noise study samples on noisy backends."""
    opt = TRAINING["optimizer"]
    files = [
        run_file(wildcards.dataset, opt, a.arm, b)
        for a in LANDSCAPE_ARMS
        for b in BATCHES
    ]
    return list(dict.fromkeys(files))


def trainability_files():
    """Every metrics file of the trainability study (dataset × optimiser × ansatz × depth)."""
    if not TRAINABILITY["enabled"]:
        return []
    return [
        path
        for ansatz in TRAINABILITY["ansatze"]
        for path in expand(
            res(
                "trainability/{dataset}/{optimizer}/{ansatz}/L{layers}.metrics.parquet"
            ),
            dataset=trainability_datasets(TRAINABILITY, ansatz),
            optimizer=TRAINABILITY["optimizers"],
            ansatz=ansatz,
            layers=TRAINABILITY["layers"],
        )
    ]


def optional_tables():
    """Tables that exist only when their study is enabled (noise, trainability)."""
    out = {"noise": res("tables/noise.csv")} if NOISE["enabled"] else {}
    if TRAINABILITY["enabled"]:
        out["hit_rates"] = res("tables/hit_rates.csv")
    return out


def baseline_tables():
    """The baselines' table when enabled (the report's input; no claim reads it)."""
    return {"baselines": res("tables/baselines.csv")} if BASELINES["enabled"] else {}


def get_optional_params(wildcards, input):
    """The notebook's optional tables (baselines, hit rates, the SELBO ablation): each
    path, or none when off."""
    return " ".join(
        f"-p {name}_path {input[name] if name in input.keys() else 'none'}"
        for name in ("baselines", "hit_rates", "ablation")
    )


def ablation_files():
    """Every training output of the SELBO ablation: dataset × (m, N_qc) × seed batch."""
    return [
        res(f"ablation/{d}/m{m}/s{n}/{b}.metrics.parquet")
        for d in DATASETS
        for m, n in ABLATION_SETTINGS
        for b in SAMPLED_BATCHES
    ]


def ablation_arm_files():
    """The sampled SELBO arm's own runs and its exact twin's (Adam), every dataset and batch."""
    if not ABLATION:
        return []
    twin = arm_name("selbo", "exact", SAMPLED_ARMS[ABLATION_ARM].lam,
                    SAMPLED_ARMS[ABLATION_ARM].h_label)  # fmt: skip
    return [
        *[run_file(d, "adam", twin, b) for d in DATASETS for b in BATCHES],
        *[
            res(f"runs/{d}/adam/{ABLATION_ARM}/{b}.metrics.parquet")
            for d in DATASETS
            for b in SAMPLED_BATCHES
        ],
    ]


def ablation_tables():
    """The ablation's table when enabled."""
    return {"ablation": res("tables/selbo_ablation.csv")} if ABLATION else {}


def scale_run_files():
    """Every training output of the scale study: problem × arm."""
    return [
        res(f"scale/{p['path']}/{a}.parquet")
        for p in SCALE_PROBLEMS
        for a in SCALE_ARMS
    ]


def get_scale_arm_args(wildcards):
    """The arm's method, objective, λ and h as scripts/scale_train.py options."""
    a = SCALE_ARMS[wildcards.scale_arm]
    args = f"--method {a['method']}"
    if "objective" in a:
        args += f" --objective {a['objective']}"
    for key in ("lam", "h"):
        if key in a:
            args += f" --{key} {shlex.quote(str(a[key]))}"  # h may be "sqrt(n)"
    return args


def robust_run_files():
    """Every training output of the robustness study: cell × dataset × arm group."""
    return [
        res(f"cells/{cell_path(c)}/{d}/{g}.metrics.parquet")
        for c in ROBUST_CELLS
        for d in DATASETS
        for g in ROBUST_GROUPS
    ]


def all_outputs():
    """Every table, figure and the rendered report (the robustness or scale study's, when enabled)."""
    if SCALE["enabled"]:
        return [
            res("tables/scale_runs.csv"),
            res("tables/scale.csv"),
            res("report/scale.html"),
        ]
    if ROBUSTNESS["enabled"]:
        return [
            res("tables/robustness_runs.parquet"),
            res("tables/verdict_map.csv"),
            res("figures/verdict_map.png"),
            res("report/robustness.html"),
        ]
    return [
        res("tables/runs.parquet"),
        res("tables/variance.csv"),
        res("tables/landscape.csv"),
        res("tables/roughness.csv"),
        res("tables/claims.csv"),
        *optional_tables().values(),
        *baseline_tables().values(),
        *ablation_tables().values(),
        *[res(f"figures/{f}.png") for f in FIGURES],
        res("report/report.html"),
    ]


def get_figure_args(wildcards, output):
    """``--figure NAME PATH`` for every figure the rule writes."""
    return " ".join(f"--figure {name} {path}" for name, path in output.items())


def get_noise_arg(wildcards, input):
    """``--noise PATH`` when the noise study is enabled."""
    return f"--noise {input.noise}" if "noise" in input.keys() else ""


def get_verdict_args(wildcards):
    """The verdicts' level, margins and minimum pairs from config ``analysis``."""
    keys = ("alpha", "accuracy_margin", "std_margin", "rate_margin", "roughness_margin")
    keys += ("nats", "min_pairs")
    a = config["analysis"]
    return " ".join(f"--{k.replace('_', '-')} {a[k]}" for k in keys)


def get_hit_rates_arg(wildcards, input):
    """``--hit-rates PATH`` when the trainability study is enabled."""
    return f"--hit-rates {input.hit_rates}" if "hit_rates" in input.keys() else ""


def get_landscape_dir(wildcards, input):
    """The folder of the landscape grids (the notebook reads every .npz in it)."""
    return Path(input.landscapes[0]).parent


def get_noise_param(wildcards, input):
    """The notebook's noise-table parameter: the table, or none when the study is off."""
    return (
        f"-p noise_path {input.noise}"
        if "noise" in input.keys()
        else "-p noise_path none"
    )
