"""Figures of the report (docs/method.md §6): each function takes tables, returns a Figure.

Figures are built on ``matplotlib.figure.Figure`` directly, not through pyplot:
no GUI backend is touched (Agg renders them when saved), nothing accumulates in
pyplot's global state when many are made, and they still display in a notebook.
Which runs a figure shows is decided by ``qhnet.analysis.stats`` (exact mode, main circuit
depth, SELBO at the paper's h = n/4), so figures and tables agree.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from qhnet.analysis import stats
from qhnet.io import atomic_path

PALETTE = {"mle": "#4C72B0", "elbo": "#DD8452", "selbo": "#55A868"}
MODE_PALETTE = {"exact": "#8172B3", "sampled": "#C44E52"}
NAMES = {"mle": "MLE", "elbo": "ELBO", "selbo": "SELBO"}
DATASET_ORDER = ("gaussian", "moons", "ring")
CURVE_ELBO_LAM = 1.0  # training curves: the exact ELBO
CURVE_SELBO_LAM = 10.0  # training curves: SELBO at h = n/4 (the landscape's default arm)
ACC_LABEL = "test accuracy (fraction correct)"


def _styled(fn):
    """Seaborn look and 100-dpi-readable fonts for every figure, without touching global rc."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        rc = {"figure.dpi": 100, "savefig.dpi": 100, "axes.titlesize": 11}
        with (
            sns.axes_style("whitegrid"),
            sns.plotting_context("notebook", font_scale=0.8),
            mpl.rc_context(rc),
        ):
            return fn(*args, **kwargs)

    return wrapper


def _figure(nrows: int, ncols: int, w: float, h: float, **kw):
    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def _datasets(df: pd.DataFrame) -> list[str]:
    present = list(pd.unique(df["dataset"]))
    return [d for d in DATASET_ORDER if d in present] + sorted(
        d for d in present if d not in DATASET_ORDER
    )


@_styled
def _placeholder(message: str) -> Figure:
    """A figure that says why it is empty (optional inputs may be absent)."""
    fig, axes = _figure(1, 1, 6, 1.5)
    axes[0, 0].text(0.5, 0.5, message, ha="center", va="center", fontsize=12)
    axes[0, 0].set_axis_off()
    return fig


def config_label(
    objective: str, lam=math.nan, h_label: str = "", mode: str = "exact", *, with_h: bool = False
) -> str:
    """Short name of a configuration: "MLE", "ELBO λ=1", "SELBO λ=10 h=n/4 (sampled)"."""
    name = NAMES.get(objective, str(objective))
    if objective != "mle" and lam is not None and np.isfinite(lam):
        name += f" λ={lam:g}"
    if with_h and objective == "selbo" and h_label:
        name += f" h={h_label}"
    return name + ("" if mode == "exact" else f" ({mode})")


def save_figure(fig: Figure, path, dpi: int = 110) -> Path:
    """Write a figure atomically (format from the suffix), creating the folder."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return path


def _mle_band(ax, values, label: str = "MLE mean ± std") -> None:
    v = stats.finite(values)
    if len(v) == 0:
        return
    m, s = v.mean(), (v.std(ddof=1) if len(v) > 1 else 0.0)
    ax.axhspan(m - s, m + s, color=PALETTE["mle"], alpha=0.15, lw=0)
    ax.axhline(m, color=PALETTE["mle"], lw=1.5, label=label)


def _log_xlim(axes, lams) -> None:
    lams = stats.finite(lams)
    lams = lams[lams > 0]
    if len(lams):
        for ax in np.ravel(axes):
            ax.set_xscale("log")
            ax.set_xlim(lams.min() / 2, lams.max() * 2)


def _errorbars(ax, part: pd.DataFrame, metric: str, shift: float, **kw) -> None:
    s = part.groupby("lam")[metric].agg(["mean", "std"]).sort_index()
    if s.empty:
        return
    ax.errorbar(
        s.index * shift,
        s["mean"],
        yerr=s["std"].fillna(0),
        marker="o",
        ms=4,
        capsize=3,
        lw=1.5,
        **kw,
    )


# --------------------------------------------------------------------------- claim 1


@_styled
def fig_accuracy_distributions(runs: pd.DataFrame, metric: str = stats.PRIMARY_METRIC) -> Figure:
    """The variance claim: every seed's test accuracy per configuration, std annotated.

    One row per dataset: MLE, ELBO at each λ and SELBO (h = n/4) at each λ, as box
    plus strip plots. Above each box: σ (std across seeds, ddof 1), and the honest
    context — "collapsed" (shaded) when :func:`stats.context` flags it, and the stuck-seed count.
    """
    ex = stats.exact_runs(runs)
    sel = pd.concat(
        [ex[ex["objective"].isin(["mle", "elbo"])], stats.paper_bandwidth(ex)], ignore_index=True
    )
    if sel.empty:
        return _placeholder("no exact MLE/ELBO/SELBO runs")
    sel["config"] = [
        config_label(o, lam) for o, lam in zip(sel["objective"], sel["lam"], strict=True)
    ]
    keys = sel[["objective", "lam", "config"]].drop_duplicates()
    keys["o"] = keys["objective"].map({o: i for i, o in enumerate(stats.OBJECTIVE_ORDER)})
    order = list(keys.sort_values(["o", "lam"], na_position="first")["config"])
    datasets = _datasets(sel)
    fig, axes = _figure(len(datasets), 1, max(7.0, 0.78 * len(order)), 3.3)
    for ax, d in zip(axes[:, 0], datasets, strict=True):
        g = sel[sel["dataset"] == d]
        sns.boxplot(
            data=g,
            x="config",
            y=metric,
            order=order,
            hue="objective",
            palette=PALETTE,
            dodge=False,
            showfliers=False,
            width=0.6,
            legend=False,
            ax=ax,
            boxprops={"alpha": 0.55},
        )
        sns.stripplot(
            data=g,
            x="config",
            y=metric,
            order=order,
            color="0.15",
            size=3,
            jitter=0.2,
            alpha=0.75,
            ax=ax,
        )
        top = ax.get_ylim()
        lo = min(top[0], 0.45)
        ax.set_ylim(lo, 1.0 + 0.2 * (1.0 - lo))
        ax.set_yticks([t for t in ax.get_yticks() if lo <= t <= 1.0 + 1e-9])
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        for i, c in enumerate(order):
            x = g.loc[g["config"] == c]
            if x.empty:
                ax.text(i, 0.5, "no runs", transform=trans, ha="center", fontsize=8, color="0.4")
                continue
            ctx = stats.context(x)
            v = stats.finite(x[metric])
            txt = f"σ={np.std(v, ddof=1):.3f}" if len(v) > 1 else "σ=n/a"
            if ctx["collapsed"]:
                txt += "\ncollapsed"
                ax.axvspan(i - 0.5, i + 0.5, color="0.85", zorder=0, lw=0)
            if ctx["n_stuck"]:
                txt += f"\n{ctx['n_stuck']} stuck"
            ax.text(
                i,
                0.985,
                txt,
                transform=trans,
                ha="center",
                va="top",
                fontsize=7.5,
                color="0.35" if ctx["collapsed"] else "0.05",
            )
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        n = g.groupby("config").size()
        ax.set_title(f"{d}  (seeds per configuration: {n.min()}–{n.max()})", loc="left")
        ax.set_xlabel("")
        ax.set_ylabel(
            f"{ACC_LABEL}\n(expected under q)" if metric == stats.PRIMARY_METRIC else metric
        )
        ax.tick_params(axis="x", labelrotation=35)
        for lab in ax.get_xticklabels():
            lab.set_ha("right")
    handles = [
        Patch(color=PALETTE[o], alpha=0.6, label=lab)
        for o, lab in (("mle", "MLE"), ("elbo", "ELBO"), ("selbo", "SELBO, h = n/4"))
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(
        "Test accuracy of every seed; σ = std across seeds; dotted line = chance",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    return fig


@_styled
def fig_accuracy_vs_lambda(runs: pd.DataFrame) -> Figure:
    """Mean ± std across seeds vs λ: expected and mode-BiNN test accuracy, entropy fraction.

    ELBO and SELBO (h = n/4) as lines (λ on a log axis, the two slightly offset),
    MLE as a horizontal band; the entropy panel marks the collapse threshold.
    """
    ex = stats.exact_runs(runs)
    if ex.empty:
        return _placeholder("no exact runs")
    panels = [
        ("acc_test_expected", f"{ACC_LABEL}\nexpected under q"),
        ("acc_test_mode", f"{ACC_LABEL}\nmode BiNN"),
        ("entropy_frac", "entropy fraction H / (n ln 2)"),
    ]
    datasets = _datasets(ex)
    fig, axes = _figure(len(datasets), len(panels), 4.0, 2.9, sharex=True)
    selbo = stats.paper_bandwidth(ex)
    for i, d in enumerate(datasets):
        for j, (metric, ylabel) in enumerate(panels):
            ax = axes[i, j]
            _mle_band(ax, ex[(ex["dataset"] == d) & (ex["objective"] == "mle")][metric])
            e = ex[(ex["dataset"] == d) & (ex["objective"] == "elbo")]
            s = selbo[selbo["dataset"] == d]
            _errorbars(ax, e, metric, 0.93, color=PALETTE["elbo"], label="ELBO")
            _errorbars(ax, s, metric, 1.07, color=PALETTE["selbo"], label="SELBO, h = n/4")
            ax.set_xscale("log")
            if metric == "entropy_frac":
                ax.axhline(
                    stats.COLLAPSE_FRAC,
                    color="0.3",
                    ls="--",
                    lw=1,
                    label=f"collapse threshold {stats.COLLAPSE_FRAC:g}",
                )
                ax.set_ylim(-0.03, 1.03)
            else:
                ax.axhline(0.5, color="0.5", ls=":", lw=1, label="chance")
            ax.set_ylabel(ylabel)
            if i == len(datasets) - 1:
                ax.set_xlabel("λ (regularisation weight, log scale)")
            if j == 0:
                ax.set_title(d, loc="left", fontweight="bold")
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    _log_xlim(axes, ex["lam"])
    fig.legend(handles, labels, loc="outside upper center", ncols=len(labels), frameon=False)
    return fig


# --------------------------------------------------------------------------- claim 5


@_styled
def fig_selbo_bandwidth(runs: pd.DataFrame, metric: str = stats.PRIMARY_METRIC) -> Figure:
    """SELBO accuracy (top) and entropy fraction (bottom) vs λ, one line per bandwidth h."""
    ex = stats.exact_runs(runs)
    sel = ex[ex["objective"] == "selbo"]
    if sel.empty:
        return _placeholder("no exact SELBO runs")
    datasets = _datasets(sel)
    hs = sel[["h", "h_label"]].drop_duplicates("h").sort_values("h")
    colors = sns.color_palette("viridis", len(hs))
    fig, axes = _figure(2, len(datasets), 4.0, 3.0, sharex=True)
    shifts = np.exp(np.linspace(-0.12, 0.12, len(hs))) if len(hs) > 1 else [1.0]
    for j, d in enumerate(datasets):
        top, bottom = axes[0, j], axes[1, j]
        _mle_band(top, ex[(ex["dataset"] == d) & (ex["objective"] == "mle")][metric])
        for (h, label), c, k in zip(hs.itertuples(index=False), colors, shifts, strict=True):
            g = sel[(sel["dataset"] == d) & np.isclose(sel["h"], h)]
            lab = f"h = {label} ({h:.2f})" if label and label != f"{h:g}" else f"h = {h:g}"
            _errorbars(top, g, metric, k, color=c, label=lab)
            _errorbars(bottom, g, "entropy_frac", k, color=c)
        top.axhline(0.5, color="0.5", ls=":", lw=1, label="chance")
        bottom.axhline(stats.COLLAPSE_FRAC, color="0.3", ls="--", lw=1)
        bottom.set_ylim(-0.03, 1.03)
        top.set_title(d, loc="left", fontweight="bold")
        top.set_xscale("log")
        bottom.set_xlabel("λ (regularisation weight, log scale)")
        if j == 0:
            top.set_ylabel(f"{ACC_LABEL}\nexpected under q")
            bottom.set_ylabel("entropy fraction H / (n ln 2)\n(dashed: collapse threshold)")
    _log_xlim(axes, sel["lam"])
    fig.legend(
        *axes[0, 0].get_legend_handles_labels(),
        loc="outside upper center",
        ncols=len(hs) + 2,
        frameon=False,
    )
    return fig


# --------------------------------------------------------------------------- claim 2


def load_landscape(path) -> dict:
    """One landscape .npz (scripts/landscape.py) as {dataset, alphas, betas, objectives}."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        alphas, betas = np.asarray(z["alphas"]), np.asarray(z["betas"])
        losses = {
            o: np.asarray(z[f"{o}_loss"]) for o in stats.OBJECTIVE_ORDER if f"{o}_loss" in z.files
        }
    objectives = {obj: {"loss": loss, "meta": dict(meta[obj])} for obj, loss in losses.items()}
    return {"dataset": Path(path).stem, "alphas": alphas, "betas": betas, "objectives": objectives}


@_styled
def fig_landscapes(npz_paths: Iterable) -> Figure:
    """−J on the 2-D slice around trained θ* (star): MLE, ELBO, SELBO side by side.

    Rows are datasets; each panel has its own colour scale (λ·H shifts the loss),
    so compare shapes and the roughness numbers in the titles, not colours.
    """
    lands = [load_landscape(p) for p in npz_paths]
    if not lands:
        return _placeholder("no landscape files")
    order = _datasets(pd.DataFrame({"dataset": [x["dataset"] for x in lands]}))
    lands.sort(key=lambda x: order.index(x["dataset"]))
    objs = [o for o in stats.OBJECTIVE_ORDER if any(o in x["objectives"] for x in lands)]
    fig, axes = _figure(len(lands), len(objs), 3.7, 3.2)
    for i, land in enumerate(lands):
        for j, obj in enumerate(objs):
            ax = axes[i, j]
            if obj not in land["objectives"]:
                ax.set_axis_off()
                continue
            loss, m = land["objectives"][obj]["loss"], land["objectives"][obj]["meta"]
            a, b = land["alphas"], land["betas"]
            cs = ax.contourf(a, b, loss.T, levels=20, cmap="viridis")
            ax.contour(a, b, loss.T, levels=10, colors="k", linewidths=0.3, alpha=0.6)
            ax.plot([0], [0], marker="*", ms=11, color="white", mec="k", mew=0.6)
            fig.colorbar(cs, ax=ax, label="loss −J (nats)", shrink=0.9)
            lam = m.get("lam")
            h = m.get("h")
            head = config_label(obj, lam if lam is not None else math.nan)
            if obj == "selbo" and h is not None:
                label = stats.parse_arm(m.get("arm", ""))["h_label"]
                head += f" h={label} ({h:.3g})" if label and label != f"{h:g}" else f" h={h:.3g}"
            ax.set_title(
                f"{land['dataset']} · {head}\n{int(m['n_local_minima'])} local minima · "
                f"rel |∇²J| {m['rel_mean_abs_laplacian']:.3g}",
                fontsize=9.5,
            )
            ax.set_xlabel("α (units of ‖θ*‖)")
            ax.set_ylabel("β (units of ‖θ*‖)")
            ax.set_aspect("equal")
            ax.grid(False)
    return fig


# --------------------------------------------------------------------------- training curves


def _arm_info(traj: pd.DataFrame) -> pd.DataFrame:
    info = pd.DataFrame([{"arm": a, **stats.parse_arm(a)} for a in pd.unique(traj["arm"])])
    for col in ("objective", "lam"):
        if col in traj.columns:
            info[col] = info["arm"].map(traj.drop_duplicates("arm").set_index("arm")[col])
    return info


def default_curve_arms(traj: pd.DataFrame) -> list[str]:
    """MLE, the exact ELBO (λ closest to 1) and SELBO at h = n/4 with λ closest to 10."""
    info = _arm_info(traj)
    info = info[info["mode"] == "exact"]
    arms = list(info.loc[info["objective"] == "mle", "arm"])
    for obj, lam in (("elbo", CURVE_ELBO_LAM), ("selbo", CURVE_SELBO_LAM)):
        g = info[info["objective"] == obj]
        if obj == "selbo" and (g["h_label"] == stats.PAPER_H_LABEL).any():
            g = g[g["h_label"] == stats.PAPER_H_LABEL]
        if g.empty:
            continue
        dist = (np.log10(g["lam"].astype(float)) - math.log10(lam)).abs()
        arms.append(g.loc[dist.sort_values(kind="stable").index[0], "arm"])
    return arms


@_styled
def fig_training_curves(traj: pd.DataFrame, arms: list[str] | None = None) -> Figure:
    """Median and interquartile band over seeds of J, E_q[log p] and test accuracy vs step.

    A run that stopped early (convergence test) keeps its last value afterwards,
    so late steps summarise every seed. Default arms: ``default_curve_arms``.
    """
    if traj is None or traj.empty:
        return _placeholder("no trajectories")
    arms = default_curve_arms(traj) if arms is None else list(arms)
    info = _arm_info(traj).set_index("arm")
    panels = [
        ("objective_value", "objective J (nats)"),
        ("ell", "E_q[log p(Y|X,σ)] (nats)"),
        ("acc_test", f"{ACC_LABEL}\nexpected under q"),
    ]
    datasets = _datasets(traj)
    colors = {a: PALETTE.get(info.at[a, "objective"], "0.3") for a in arms}
    fig, axes = _figure(len(datasets), len(panels), 4.0, 2.9, sharex="row")
    for i, d in enumerate(datasets):
        for j, (metric, ylabel) in enumerate(panels):
            ax = axes[i, j]
            for arm in arms:
                g = traj[(traj["dataset"] == d) & (traj["arm"] == arm)]
                if g.empty or metric not in g.columns:
                    continue
                wide = (
                    g.pivot_table(index="step", columns="seed", values=metric).sort_index().ffill()
                )
                q = wide.quantile([0.25, 0.5, 0.75], axis=1).T
                r = info.loc[arm]
                lab = config_label(r["objective"], r["lam"], r["h_label"], with_h=True)
                ax.plot(
                    q.index, q[0.5], color=colors[arm], lw=1.6, label=f"{lab} (n={wide.shape[1]})"
                )
                ax.fill_between(q.index, q[0.25], q[0.75], color=colors[arm], alpha=0.22, lw=0)
            ax.set_ylabel(ylabel)
            if i == len(datasets) - 1:
                ax.set_xlabel("training step (Adam iterations)")
            if j == 0:
                ax.set_title(d, loc="left", fontweight="bold")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside upper center",
        ncols=max(1, len(labels)),
        frameon=False,
        title="median over seeds, band = interquartile range",
    )
    return fig


# --------------------------------------------------------------------------- sampled, noise


@_styled
def fig_noise(noise_df: pd.DataFrame | None) -> Figure:
    """Test accuracy of sampled trained circuits per backend, beside exact and noiseless."""
    if noise_df is None or noise_df.empty:
        return _placeholder("no noise runs")
    df = noise_df.copy()
    exact = df.drop_duplicates(["dataset", "arm", "seed"]).assign(
        backend="exact (state vector)", acc=lambda x: x["acc_test_exact"]
    )
    long = pd.concat([exact, df.assign(acc=df["acc_test_sampled"])], ignore_index=True)
    others = sorted(b for b in df["backend"].unique() if b != "noiseless")
    order = ["exact (state vector)"] + (
        ["noiseless"] if (df["backend"] == "noiseless").any() else []
    )
    order += others
    objs = [o for o in stats.OBJECTIVE_ORDER if o in set(df["objective"])]
    datasets = _datasets(df)
    fig, axes = _figure(
        1, len(objs), max(4.0, 1.3 * len(order) * max(1, len(datasets) / 2)), 3.4, sharey=True
    )
    for ax, obj in zip(axes[0], objs, strict=True):
        g = long[long["objective"] == obj]
        sns.boxplot(
            data=g,
            x="backend",
            y="acc",
            hue="dataset",
            order=order,
            hue_order=datasets,
            showfliers=False,
            ax=ax,
            boxprops={"alpha": 0.55},
        )
        sns.stripplot(
            data=g,
            x="backend",
            y="acc",
            hue="dataset",
            order=order,
            hue_order=datasets,
            dodge=True,
            size=3,
            palette=dict.fromkeys(datasets, "0.15"),
            legend=False,
            ax=ax,
        )
        arms = ", ".join(sorted(g["arm"].unique()))
        shots = sorted(g["shots"].dropna().unique()) if "shots" in g else []
        shots_s = f", {shots[0]:g} shots" if len(shots) == 1 else ""
        ax.set_title(f"{NAMES[obj]} ({arms}){shots_s}", loc="left", fontsize=9.5)
        ax.set_xlabel("backend")
        ax.set_ylabel(ACC_LABEL)
        ax.tick_params(axis="x", labelrotation=20)
        if ax is not axes[0, 0] and ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


@_styled
def fig_sampled_vs_exact(runs: pd.DataFrame, metric: str = stats.PRIMARY_METRIC) -> Figure:
    """Sampled-mode SELBO vs the same SELBO trained exactly vs exact ELBO (best λ) and MLE."""
    runs = stats.main_layers(stats.normalise(runs))
    if "mode" not in runs.columns or not (runs["mode"] == "sampled").any():
        return _placeholder("no sampled-mode runs")
    if "optimizer" in runs.columns:  # the exact runs of the sampled arm's own optimiser
        runs = runs[runs["optimizer"].isin(runs.loc[runs["mode"] == "sampled", "optimizer"])]
    ex = runs[runs["mode"] == "exact"]
    lt = stats.lambda_table(runs)
    datasets = _datasets(runs[runs["mode"] == "sampled"])
    n_cfg = runs[runs["mode"] == "sampled"].groupby("dataset")["arm"].nunique().max()
    fig, axes = _figure(1, len(datasets), max(4.2, 1.1 * (2 + 2 * n_cfg)), 3.6, sharey=True)
    for ax, d in zip(axes[0], datasets, strict=True):
        parts = [ex[(ex["dataset"] == d) & (ex["objective"] == "mle")]]
        best = (
            lt[(lt["dataset"] == d) & (lt["objective"] == "elbo") & lt["best"]]
            if not lt.empty
            else lt
        )
        if not best.empty:
            e = ex[(ex["dataset"] == d) & (ex["objective"] == "elbo")]
            parts.append(e[np.isclose(e["lam"], best["lam"].iloc[0])].assign(best=True))
        for _, g in runs[(runs["dataset"] == d) & (runs["mode"] == "sampled")].groupby("arm"):
            obj, lam, h = g["objective"].iloc[0], g["lam"].iloc[0], g["h"].iloc[0]
            twin = ex[(ex["dataset"] == d) & (ex["objective"] == obj)]
            twin = twin[twin["lam"].map(lambda v, lam=lam: stats.same_value(v, lam))]
            twin = twin[twin["h"].map(lambda v, h=h: stats.same_value(v, h))]
            parts += [twin, g]
        long = pd.concat(parts, ignore_index=True)
        best_flag = long.get("best", pd.Series(False, index=long.index)).eq(True)
        long["config"] = [
            config_label(o, lam, hl, with_h=True).replace(" h=", "\nh=")
            + ("\n(best λ)" if b else "")
            for o, lam, hl, b in zip(
                long["objective"], long["lam"], long["h_label"], best_flag, strict=True
            )
        ]
        order = list(dict.fromkeys(long["config"]))
        sns.boxplot(
            data=long,
            x="config",
            y=metric,
            hue="mode",
            order=order,
            palette=MODE_PALETTE,
            showfliers=False,
            ax=ax,
            boxprops={"alpha": 0.55},
        )
        sns.stripplot(
            data=long,
            x="config",
            y=metric,
            hue="mode",
            order=order,
            dodge=True,
            palette=MODE_PALETTE,
            size=3,
            legend=False,
            ax=ax,
        )
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_title(d, loc="left", fontweight="bold")
        ax.set_xlabel("")
        ax.set_ylabel(f"{ACC_LABEL}\nexpected under q")
        if ax is not axes[0, 0] and ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


@_styled
def fig_hit_rates(hit_rates: pd.DataFrame | None) -> Figure:
    """Trainability: hit rate against depth, a panel per dataset, a line per optimiser × ansatz."""
    if hit_rates is None or hit_rates.empty:
        return _placeholder("no trainability runs")
    datasets = list(pd.unique(hit_rates["dataset"]))
    fig, axes = _figure(1, len(datasets), 3.2, 3.0, sharey=True)
    styles = {"adam": "--", "lbfgs": "-"}
    for ax, d in zip(axes[0], datasets, strict=True):
        g = hit_rates[hit_rates["dataset"] == d]
        for (opt, ans), c in g.groupby(["optimizer", "ansatz"], sort=True):
            c = c.sort_values("layers")
            ax.plot(
                c["layers"], c["hit_rate"], styles.get(opt, ":"), marker="o", label=f"{opt}, {ans}"
            )
        ax.axhline(0.95, color="0.5", lw=0.8, ls=":")
        opt_bce = g["optimum_bce"].iloc[0]
        ax.set_title(f"{d} (optimum BCE {opt_bce:.4f})", loc="left", fontsize=9.5)
        ax.set_xlabel("layers")
        ax.set_xticks(sorted(g["layers"].unique()))
        ax.set_ylim(-0.03, 1.03)
    axes[0, 0].set_ylabel(f"hit rate (within {g['hit_tol'].iloc[0]:g} mean BCE)")
    axes[0, -1].legend(fontsize=7, loc="best")
    return fig


VERDICT_COLOURS = {"supported": "#55A868", "refuted": "#C44E52", "cannot tell": "#D9D9D9"}


def _numbered(vmap: pd.DataFrame) -> pd.DataFrame:
    """The dataset- and claim-level records, each numbered ``k`` within its cell,
    claim, level and dataset (claim 4a has two records for "all")."""
    keep = vmap[vmap["level"].isin(["dataset", "claim"])]
    return keep.assign(k=keep.groupby(["cell", "claim", "level", "dataset"]).cumcount())


def verdict_map_rows(vmap: pd.DataFrame) -> pd.DataFrame:
    """The map's rows: each claim's dataset-level records, then its overall verdict.

    Columns ``claim``, ``level``, ``dataset``, ``k`` (the record's number within its
    claim, level and dataset) and ``label``.
    """
    keep = _numbered(vmap)
    rows = keep.drop_duplicates(["claim", "level", "dataset", "k"])
    multi = rows.groupby(["claim", "level", "dataset"])["k"].transform("size") > 1
    label = np.where(
        rows["level"] == "claim",
        "claim " + rows["claim"].astype(str) + ": overall",
        "claim " + rows["claim"].astype(str) + ": " + rows["dataset"].astype(str),
    )
    short = rows["comparison"].astype(str).str.split(":").str[0].str.slice(0, 24)
    rows = rows.assign(label=np.where(multi, label + " (" + short + ")", label))
    rows = rows[["claim", "level", "dataset", "k", "label"]]
    rows = rows.assign(_o=rows["level"].map({"dataset": 0, "claim": 1}))
    order = {c: i for i, c in enumerate(pd.unique(vmap["claim"]))}
    rows = rows.assign(_c=rows["claim"].map(order)).sort_values(["_c", "_o", "dataset", "k"])
    return rows.drop(columns=["_c", "_o"]).reset_index(drop=True)


@_styled
def fig_verdict_map(vmap: pd.DataFrame | None) -> Figure:
    """Robustness: a row per claim (per dataset, then overall), a column per cell.

    Each square is coloured by its verdict; a dataset row is annotated with the
    effect estimate and its confidence interval, an overall row with its verdict.
    """
    if vmap is None or vmap.empty:
        return _placeholder("no robustness cells")
    cells = list(pd.unique(vmap["cell"]))
    rows = verdict_map_rows(vmap)
    fig, axes = _figure(1, 1, 1.25 * len(cells) + 2.4, 0.34 * len(rows) + 1.2)
    ax = axes[0, 0]
    by = _numbered(vmap).set_index(["cell", "claim", "level", "dataset", "k"])
    for j, cell in enumerate(cells):
        for i, r in enumerate(rows.itertuples()):
            key = (cell, r.claim, r.level, r.dataset, r.k)
            if key not in by.index:
                continue
            rec = by.loc[[key]].iloc[0]
            ax.add_patch(
                Rectangle(
                    (j, i), 1, 1, color=VERDICT_COLOURS.get(rec["verdict"], "white"), ec="white"
                )
            )
            if r.level == "claim":
                text = rec["verdict"]
            elif np.isfinite(rec["estimate"]) and np.isfinite(rec["ci_low"]):
                text = f"{rec['estimate']:.3g}\n[{rec['ci_low']:.3g}, {rec['ci_high']:.3g}]"
            elif np.isfinite(rec["estimate"]):
                text = f"{rec['estimate']:.3g}"
            else:
                text = ""
            weight = "bold" if r.level == "claim" else "normal"
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=5.5, weight=weight)
    ax.set_xlim(0, len(cells))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(cells)) + 0.5)
    ax.set_xticklabels([c.replace("/", "\n") for c in cells], fontsize=6.5)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(rows)) + 0.5)
    ax.set_yticklabels(list(rows["label"]), fontsize=7)
    ax.grid(False)
    handles = [Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    return fig


#: Every figure the report can show, by the name the workflow gives it, and what
#: it is drawn from (``tables`` keys: runs, trajectories, landscapes, noise, hit_rates).
@_styled
def fig_roughness(roughness_df: pd.DataFrame | None) -> Figure:
    """Distribution of the roughness ratio to MLE over (seed, direction) pairs (claim 2).

    One panel per dataset; each ELBO λ (and SELBO) at the two centres: its own trained
    angles and MLE's. Below 1 (dashed) the slice is smoother than MLE's along the same
    directions. The verdict's paired test is in claims.csv.
    """
    if roughness_df is None or roughness_df.empty:
        return _placeholder("no roughness table")
    df = stats.normalise(roughness_df)
    on = ["dataset", "seed", "direction", "centre"]
    mle = df[df["objective"] == "mle"].set_index(on)["rel_mean_abs_laplacian"]
    other = df[df["objective"] != "mle"].copy()
    ref = mle.reindex(pd.MultiIndex.from_frame(other[on])).to_numpy()
    other["ratio"] = other["rel_mean_abs_laplacian"].to_numpy() / ref
    other["config"] = [
        config_label(o, lam) for o, lam in zip(other["objective"], other["lam"], strict=True)
    ]
    other["centre"] = other["centre"].map({"own": "own angles", "mle": "MLE's angles"})
    order = list(dict.fromkeys(other.sort_values(["objective", "lam"])["config"]))
    datasets = _datasets(other)
    fig, axes = _figure(1, len(datasets), max(4.0, 0.9 * len(order) + 1.5), 3.4, sharey=True)
    for ax, d in zip(axes[0], datasets, strict=True):
        sub = other[other["dataset"] == d]
        sns.boxplot(
            data=sub,
            x="config",
            y="ratio",
            hue="centre",
            order=order,
            ax=ax,
            fliersize=2,
            linewidth=0.8,
        )
        ax.axhline(1.0, ls="--", color="k", lw=0.8)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(mpl.ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_locator(mpl.ticker.LogLocator(subs=(2.0, 5.0)))  # few labels
        ax.yaxis.set_minor_formatter(mpl.ticker.FormatStrFormatter("%g"))
        n_slices = len(sub[["seed", "direction"]].drop_duplicates())
        ax.set_title(f"{d}: roughness / MLE's ({n_slices} slices)")
        ax.set_xlabel("")
        ax.set_ylabel("relative |Laplacian| ratio to MLE")
        ax.tick_params(axis="x", rotation=30)
    return fig


FIGURES = {
    "accuracy_distributions": lambda t: fig_accuracy_distributions(t["runs"]),
    "accuracy_vs_lambda": lambda t: fig_accuracy_vs_lambda(t["runs"]),
    "selbo_bandwidth": lambda t: fig_selbo_bandwidth(t["runs"]),
    "landscapes": lambda t: fig_landscapes(t["landscapes"]),
    "roughness": lambda t: fig_roughness(t.get("roughness")),
    "training_curves": lambda t: fig_training_curves(t["trajectories"]),
    "sampled_vs_exact": lambda t: fig_sampled_vs_exact(t["runs"]),
    "noise": lambda t: fig_noise(t["noise"]),
    "hit_rates": lambda t: fig_hit_rates(t.get("hit_rates")),
    "verdict_map": lambda t: fig_verdict_map(t.get("verdict_map")),
}


def draw(name: str, tables: dict) -> Figure:
    """The figure ``name`` (a key of ``FIGURES``) drawn from ``tables``."""
    if name not in FIGURES:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}; got {name!r}")
    return FIGURES[name](tables)
