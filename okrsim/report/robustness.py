"""The robustness report: which conclusions hold, which flip and where, and what drives them.

Reads the directory ``okrsim robustness`` wrote (it runs nothing) and renders

* an HTML page in the report's style: Sobol' bars per effect with their
  bootstrap CI whiskers, and each PRIM peeling trajectory as a
  coverage–density trade-off chart with the selected box marked;
* a markdown summary (``DIR/summary.md``) from which docs/ROBUSTNESS.md is
  written: the sign of every effect across the space and per decision rule,
  the PRIM boxes in plain words, the dominant inputs of each effect, and the
  run's size, wall time and workers.
"""

from __future__ import annotations

import html
from pathlib import Path

from okrsim.experiments.analysis import prim_figure, sobol_figure
from okrsim.experiments.prim import Box
from okrsim.experiments.robustness import (
    CONCLUSIONS,
    ROBUST_SHARE,
    RobustnessAnalysis,
    analyze_robustness,
)
from okrsim.metrics import METRICS
from okrsim.report.render import page, write

#: Inputs named per effect as its dominant assumptions.
TOP_INPUTS = 3
SUMMARY = "summary.md"
REPORT = "report.html"


def effect_lines(result: RobustnessAnalysis) -> list[str]:
    """One sentence per effect: its sign across the space, overall and under each rule."""
    lines = []
    contrast = _contrast_words(result)
    last = result.signs["stage"].iloc[-1]  # the Sobol' stage once it has run
    screen = result.signs[(result.signs["stage"] == "screen") & (result.signs["rule"] == "all")]
    for effect, sub in result.signs[result.signs["stage"] == last].groupby("effect", sort=False):
        overall = sub[sub["rule"] == "all"].iloc[0]
        per_rule = sub[sub["rule"] != "all"]
        what = METRICS.get(str(effect), str(effect))
        sign = overall["robust_sign"]
        if last != "screen":  # robust only if the screen, which varies every input, agrees
            agreed = screen.loc[screen["effect"] == effect, "robust_sign"].iloc[0]
            sign = sign if agreed == sign else "mixed"
        ci = (
            f"mean {overall['mean']:+.3g}, "
            f"95 % CI [{overall['ci_low']:+.3g}, {overall['ci_high']:+.3g}]"
        )
        share = (
            f"{overall['share_positive']:.0%} of the {int(overall['points'])} {last} points "
            f"up, {overall['share_negative']:.0%} down"
        )
        if last != "screen":
            whole = screen[screen["effect"] == effect].iloc[0]
            share += (
                f" (screen, every input varied: {whole['share_positive']:.0%} of "
                f"{int(whole['points'])} up, {whole['share_negative']:.0%} down)"
            )
        if sign == "0":
            lines.append(f"**{effect}** ({what}): no effect at ≥ {ROBUST_SHARE:.0%} of the points.")
        elif sign != "mixed":
            word = "raises" if sign == "+" else "lowers"
            rules = per_rule["robust_sign"].tolist()
            everywhere = all(s == sign for s in rules)
            lines.append(
                f"**{effect}** ({what}): {contrast} {word} it at ≥ {ROBUST_SHARE:.0%} of the "
                f"points — {share}; {ci}. "
                + (
                    "It holds under every decision rule."
                    if everywhere
                    else "Not under every rule: "
                    + "; ".join(
                        f"{r['rule']}: {r['share_positive']:.0%} up" for _, r in per_rule.iterrows()
                    )
                    + "."
                )
            )
        else:
            lines.append(
                f"**{effect}** ({what}): the sign flips across the space — {share}; {ci}."
                + (
                    " By rule: "
                    + "; ".join(
                        f"{r['rule']}: {r['share_positive']:.0%} up" for _, r in per_rule.iterrows()
                    )
                    + "."
                    if len(per_rule)
                    else ""
                )
            )
    return lines


def prim_lines(result: RobustnessAnalysis) -> list[str]:
    """The PRIM boxes in plain words: how often a conclusion holds, and where most surely."""
    lines = []
    for name, (traj, box) in result.prim.items():
        words = CONCLUSIONS[name][1]
        base = float(traj["density"].iloc[0])
        lines.append(
            f"**“{words}”** holds at {base:.0%} of the design points. " + _box_words(box, base)
        )
    return lines


def _box_words(box: Box, base: float) -> str:
    if not base > 0:
        return "It fails at every design point: no region of the space supports it."
    if base == 1.0:
        return "It holds at every design point."
    if not box.restricted:
        return "No box separates where it holds from where it does not."
    return (
        f"It holds at {box.density:.0%} of the points where {box.describe()} "
        f"(that box holds {box.mass:.0%} of all points and {box.coverage:.0%} of those where "
        f"it holds: coverage {box.coverage:.2f}, density {box.density:.2f}); outside it, "
        "the conclusion is less sure and may flip."
    )


def dominant_lines(result: RobustnessAnalysis) -> list[str]:
    """Per effect, the inputs with the largest total Sobol' index (or Morris μ* without one)."""
    lines = []
    if result.sobol is not None and not result.sobol.empty:
        for effect, sub in result.sobol.groupby("metric", sort=False):
            top = sub.sort_values("ST", ascending=False).head(TOP_INPUTS)
            parts = [
                f"{r['input']} (ST {r['ST']:.2f} ± {r['ST_conf']:.2f}, S1 {r['S1']:.2f} ± "
                f"{r['S1_conf']:.2f})"
                for _, r in top.iterrows()
            ]
            lines.append(f"**{effect}**: {'; '.join(parts)}")
        return lines
    for effect, sub in result.morris.groupby("metric", sort=False):
        top = sub.sort_values("mu_star", ascending=False).head(TOP_INPUTS)
        parts = [f"{r['input']} (μ* {r['mu_star']:.3g})" for _, r in top.iterrows()]
        lines.append(f"**{effect}** (screen only): {'; '.join(parts)}")
    return lines


def run_lines(result: RobustnessAnalysis) -> list[str]:
    """Each stage's size, wall time (all sessions) and workers."""
    lines = []
    for stage, info in result.record.get("stages", {}).items():
        lines.append(
            f"{stage}: {info['points']} points × {info['replications']} replications = "
            f"{info['runs']} paired runs ({2 * info['runs']} simulations) over "
            f"{len(info['inputs'])} inputs; {info['seconds']:.0f} s wall time in "
            f"{info['sessions']} session(s) on {info['executor']} × {info['workers']}"
            + ("" if info.get("complete") else " (incomplete)")
        )
    return lines


def summary_markdown(result: RobustnessAnalysis) -> str:
    """The markdown summary docs/ROBUSTNESS.md is written from."""
    record = result.record
    chosen = result.selection[result.selection["selected"]]
    dropped = result.selection[~result.selection["selected"]]
    out = [
        f"# Robustness: {record['name']}",
        "",
        f"Effect of {_contrast_words(result)}: treated − control, same seed (common random "
        f"numbers), {record['spec']['robustness'].get('statistic', 'mean')} over the horizon.",
        "",
        "## Which conclusions hold, and which flip",
        "",
        *[f"- {line}" for line in effect_lines(result)],
        "",
        "## Where they flip (PRIM boxes)",
        "",
        *[f"- {line}" for line in prim_lines(result)],
        "",
        "## Which assumptions dominate each effect",
        "",
        *[f"- {line}" for line in dominant_lines(result)],
        "",
        f"Screened {len(result.selection)} inputs; resolved {len(chosen)}: "
        f"{', '.join(chosen['input'])}. Screened out (not in any effect's top "
        f"{record['spec']['resolve']['top_k']} by Morris μ*): "
        f"{', '.join(dropped['input']) or 'none'}.",
        "",
        "## The run",
        "",
        *[f"- {line}" for line in run_lines(result)],
        f"- file: {record['file']}; excluded with reasons: "
        + (", ".join(f"{k} ({v})" for k, v in record.get("excluded", {}).items()) or "none"),
        "",
    ]
    if result.warnings:
        out += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    return "\n".join(out)


def robustness_page(root: str | Path, *, question: str | None = None) -> tuple[str, str]:
    """The HTML page and the markdown summary of a robustness directory."""
    result = analyze_robustness(root)
    return render(result, question=question), summary_markdown(result)


def render(result: RobustnessAnalysis, *, question: str | None = None) -> str:
    """The HTML page of an analysed robustness directory."""
    record = result.record
    question = (
        question
        or record["spec"]["robustness"].get("description")
        or ("Do the policy's effects hold across every plausible assumption?")
    )
    figs = []
    if result.sobol is not None and not result.sobol.empty:
        fig = sobol_figure(result.sobol)
        fig.update_layout(yaxis_title="Sobol' index (share of the effect's variance)")
        figs.append(fig)
    for name, (traj, box) in result.prim.items():
        fig = prim_figure(traj, box)
        fig.update_layout(title=f"PRIM: “{CONCLUSIONS[name][1]}” — coverage vs density")
        figs.append(fig)
    method = (
        "Each design point's outcome is the paired difference treated − control of each "
        "effect, both arms run on the same seed. A Morris screen (elementary effects, μ*) over "
        "every listed parameter and the decision rule picks, for each effect, the "
        f"{record['spec']['resolve']['top_k']} inputs with the largest μ*; a Sobol' design "
        "(Saltelli sampling) over their union and the rule gives first-order (S1) and total "
        "(ST) indices with 95 % bootstrap intervals, replications averaged per point first. "
        f"An effect's sign counts as robust when it holds at ≥ {ROBUST_SHARE:.0%} of the "
        "design points. PRIM (peeling only) describes where each conclusion holds; the box "
        "shown is the densest with at least half the coverage. Ranges and their sources: "
        f"{record['file']}."
    )
    sections = [
        ("Which conclusions hold, and which flip", _html_list(effect_lines(result))),
        ("Where they flip", _html_list(prim_lines(result))),
        ("Which assumptions dominate each effect", _html_list(dominant_lines(result))),
        ("The run", _html_list(run_lines(result))),
    ]
    return page(
        f"okrsim — robustness: {record['name']}",
        question,
        sections=sections,
        figs=figs,
        method=method,
    )


def write_summary(root: str | Path, text: str) -> Path:
    return write(text, Path(root) / SUMMARY)


def write_outputs(result: RobustnessAnalysis) -> tuple[Path, Path]:
    """Write ``DIR/report.html`` and ``DIR/summary.md``; return their paths."""
    report = write(render(result), result.root / REPORT)
    return report, write_summary(result.root, summary_markdown(result))


def _contrast_words(result: RobustnessAnalysis) -> str:
    contrast = result.record["contrast"]
    treated = ", ".join(f"{k} = {v}" for k, v in contrast["treated"].items())
    control = ", ".join(f"{k} = {v}" for k, v in contrast["control"].items())
    return f"{treated} rather than {control}"


def _html_list(lines: list[str]) -> str:
    items = []
    for line in lines:
        text = html.escape(line)
        # **bold** from the markdown, the only markup the lines use
        parts = text.split("**")
        text = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
        items.append(f"<li>{text}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>Nothing to report yet.</p>"


__all__ = [
    "REPORT",
    "SUMMARY",
    "dominant_lines",
    "effect_lines",
    "prim_lines",
    "render",
    "robustness_page",
    "summary_markdown",
    "write_outputs",
    "write_summary",
]
