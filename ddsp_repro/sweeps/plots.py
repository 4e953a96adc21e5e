"""A study's figures: its optimisation history and its parameter importances."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from optuna.trial import FrozenTrial, TrialState  # noqa: E402

from ddsp_repro.plots import save_figure  # noqa: E402
from ddsp_repro.sweeps.space import SearchSpace  # noqa: E402

__all__ = ["plot_history", "plot_importance"]


def plot_history(path: Path, trials: list[FrozenTrial], space: SearchSpace, title: str) -> None:
    """Left: each trial's objective and the best so far. Right: each trial's validation curve."""
    fig, (ax, curves) = plt.subplots(1, 2, figsize=(11, 4))
    better = min if space.direction == "minimize" else max
    best, best_line = None, []
    for t in sorted(trials, key=lambda t: t.number):
        if t.state == TrialState.COMPLETE and t.value is not None:
            best = t.value if best is None else better(best, t.value)
            ax.scatter(t.number, t.value, color="C0", zorder=3)
        elif t.state == TrialState.PRUNED and t.intermediate_values:
            last = t.intermediate_values[max(t.intermediate_values)]
            ax.scatter(t.number, last, color="C3", marker="x", zorder=3)
        if best is not None:
            best_line.append((t.number, best))
        if t.intermediate_values:
            steps = sorted(t.intermediate_values)
            style = "--" if t.state == TrialState.PRUNED else "-"
            curves.plot(steps, [t.intermediate_values[s] for s in steps], style, alpha=0.7)
    if best_line:
        ax.step(*zip(*best_line, strict=True), where="post", color="C1", label="best so far")
    ax.scatter([], [], color="C0", label="complete")
    ax.scatter([], [], color="C3", marker="x", label="pruned (last value)")
    ax.set(xlabel="trial", ylabel=space.metric, title=f"{title}: optimisation history")
    ax.legend(fontsize=8)
    curves.set(xlabel="validation", ylabel=space.metric, title="trials (dashed: pruned)")
    for a in (ax, curves):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    save_figure(fig, path, dpi=100)


def plot_importance(path: Path, study: optuna.Study) -> bool:
    """Parameter importances of the completed trials; False (and no file) when they cannot be told."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    varied = {
        n for n in {n for t in complete for n in t.params} if len({t.params.get(n) for t in complete}) > 1
    }
    if len(complete) < 3 or not varied:  # fewer trials tell nothing about importance
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importances = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError):  # too few or too alike trials for the evaluator
        return False
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.5))
    ax.barh(names, [importances[n] for n in names], color="C0")
    ax.set(xlabel="importance (PED-ANOVA, sums to 1)", title=f"{study.study_name}: {len(complete)} trials")
    save_figure(fig, path, dpi=100)
    return True
