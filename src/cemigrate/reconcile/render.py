"""``report.md`` and ``report.html`` from ``report.json``'s data.

The HTML page is self-contained: inline CSS (with print rules), charts drawn here as inline
SVG, no script, no external resource, so it opens from disk and prints as it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

__all__ = ["bar_chart", "html_page", "markdown"]

_SOURCE, _TARGET, _LEDGER = "#3b6ea8", "#e07b39", "#7a9e4b"
_SEVERITY_COLOURS: Final = {"critical": "#b00020", "major": "#c77700", "minor": "#5f6b7a"}


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3g}" if value < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: object) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{value:.1%}"


def _sample_statement(deep: Mapping[str, Any]) -> str:
    compared, population = deep["tickets_compared"], deep["population"]
    if deep["sample"] is None:
        return f"Every ticket carried over ({compared:,}) was compared in depth."
    bound = deep.get("defect_rate_bound_95")
    statement = (
        f"A random sample of {compared:,} of {population:,} tickets (seed {deep['seed']}) was "
        "compared in depth; counts are exact."
    )
    if bound is not None:
        statement += (
            f" No defect in {compared:,} sampled ⇒ the defect rate is below {bound:.2%} "
            "at 95 % confidence."
        )
    else:
        statement += f" {deep['defective_tickets']} sampled ticket(s) had findings."
    return statement


# -- Markdown -------------------------------------------------------------------------------


_CRITICAL_CAP: Final = 5
"""Critical findings shown on the first screen; the rest are counted and listed below."""


def _not_run(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(report.get("not_verified", ()))


def _not_held(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(report.get("not_held", ()))


def _criticals(report: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], int]:
    """The critical findings the first screen shows, and how many more there are."""
    listed = [f for f in report["findings"] if f["severity"] == "critical"]
    total = int(report["summary"]["by_severity"].get("critical", 0))
    return listed[:_CRITICAL_CAP], total - min(len(listed), _CRITICAL_CAP)


def _severity_line(summary: Mapping[str, Any]) -> str:
    return f"{summary['findings']} finding(s): " + ", ".join(
        f"{n} {s}" for s, n in summary["by_severity"].items()
    )


_NOT_RUN_INTRO: Final = (
    'Checks that did not run. Each one keeps the verdict from "clean": the verdict line names it.'
)


def _held_intro(report: Mapping[str, Any]) -> str:
    platform = report["target"]["platform"]
    pages = sorted({str(item["field_ledger"]) for item in _not_held(report)})
    return (
        f"What the {platform} target cannot hold, or keeps elsewhere by design (the dry run "
        'listed these as losses). They do not keep the verdict from "clean": nothing here '
        "could have been compared on the target as the source had it. Where each field goes: "
        f"the field ledger, {', '.join(pages)}."
    )


def markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: the verdict, what did not run, the counts and the critical
    findings first; the details below."""
    summary = report["summary"]
    out = [
        "# Migration reconciliation report",
        "",
        f"**Verdict: {summary['verdict']}** — {_severity_line(summary)}",
        "",
    ]
    not_run = _not_run(report)
    if not_run:
        named = "; ".join(str(item["what"]) for item in not_run)
        out += [f"Not verified: {named} (why: see Not verified below).", ""]
    out += [
        f"- Sources: {_sources(report)}; target: {report['target']['platform']}",
        f"- Generated {report['generated_at']} by {report['prepared_by']}",
        f"- Ledger journal: {report['ledger']['journal_rows']} rows, head "
        f"`{report['ledger']['journal_head'][:16] or '-'}`",
        f"- {_sample_statement(report['deep'])}",
        "",
        "## Counts per kind",
        "",
        "| kind | source | target | done | failed | skipped | pending | missing in target "
        f"| {_COUNTED} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, c in report["counts"].items():
        out.append(
            f"| {kind} | {_fmt(c['source'])} | {_target_count(c)} | {_fmt(c['done'])} | "
            f"{_fmt(c['failed'])} | {_fmt(c['skipped'])} | {_fmt(c['pending'])} | "
            f"{_fmt(c['missing_in_target'])} | {_counted_pair(c)} |"
        )
    out += ["", _COUNTED_NOTE]
    criticals, more = _criticals(report)
    out += ["", "## Critical findings", ""]
    if criticals:
        out += _findings_markdown(criticals)
        if more:
            out += ["", f"And {more} more critical finding(s): see Findings below."]
    else:
        out.append("None.")
    out += ["", "## Findings", ""]
    if report["findings"]:
        out += _findings_markdown(report["findings"])
        for check, n in summary["left_out"].items():
            out.append(f"\n{n} more `{check}` findings are counted but not listed.")
    else:
        out.append("None.")
    out += ["", "Skipped by a named policy:", ""]
    out += [f"- {policy}: {n}" for policy, n in report["skipped_by_policy"].items()] or ["- none"]
    out += ["", "## Counted by the platforms", "", _INDEPENDENT_INTRO, ""]
    out += [f"- {line}" for line in _independent_lines(report)] or ["- nothing counted"]
    sla = report["sla"]
    out += [
        "",
        "## SLA history",
        "",
        f"{sla['tickets_compared']:,} tickets compared (first reply, resolution, breaches)."
        if sla["verifiable"]
        else "The target's stored SLA history is not read back: not verified.",
        "",
        "| policy | priority | tickets | first reply median / p90 (min) | resolution median / "
        "p90 (min) | breach rate |",
        "|---|---|---:|---|---|---|",
    ]
    for row in sla["by_policy_and_priority"]:
        out.append(
            f"| {row['policy']} | {row['priority']} | {row['tickets']} | "
            f"{_pair(row, 'first_reply')} | {_pair(row, 'resolution')} | "
            f"{_pct(row['source']['breach_rate'])} → "
            f"{_pct((row['target'] or {}).get('breach_rate'))} |"
        )
    access = report["access"]
    out += [
        "",
        "## Access",
        "",
        f"- Users compared: {access['users_compared']:,} "
        f"({', '.join(f'{n} {r}' for r, n in access['by_source_role'].items())})",
        f"- End users or agents with more rights in the target: {access['escalated']}",
        f"- Suspended users active in the target: {access['unsuspended']}",
        f"- Agents' group memberships compared: {access['memberships_compared']:,}, missing: "
        f"{access['memberships_missing']}",
        "",
        "## KPI continuity",
        "",
        "| KPI | source | target |",
        "|---|---:|---:|",
    ]
    for row in report["kpi"]:
        out.append(f"| {row['kpi']} | {_kpi(row, 'source')} | {_kpi(row, 'target')} |")
    out += _fields_markdown(report.get("fields"))
    out += _rules_markdown(report.get("rules"))
    out += ["", "## Not verified", "", _NOT_RUN_INTRO, ""]
    out += [f"- **{_md(i['what'])}**: {_md(i['why'])}" for i in not_run] or ["- nothing"]
    out += ["", "## Not held by the target as the source had it", ""]
    held = _not_held(report)
    if held:
        out += [_held_intro(report), "", "| kind | what | records | why |", "|---|---|---:|---|"]
        out += [
            f"| {i['kind']} | {_md(i['what'])} | {_fmt(i['records'])} | {_md(i['why'])} |"
            for i in held
        ]
    else:
        out.append("Nothing: the target holds everything the source had, as the source had it.")
    cost = report["cost"]
    out += [
        "",
        "## Cost",
        "",
        f"{cost['seconds']} s; API calls by budget: "
        + (", ".join(f"{k} {int(v)}" for k, v in cost["calls"].items()) or "none"),
        "",
        "## Sign-off",
        "",
        f"- Prepared by: {report['prepared_by']}, {report['generated_at']}",
        "- Approved by: ______________________  Role: ______________  Date: __________",
        "",
        f"Report digest (SHA-256 of its content): `{report['digest']}`",
        "",
        "Record the approval with `cemigrate signoff DIR --name NAME --role ROLE"
        + ("" if summary.get("clean", True) else ' --accept "REASON"')
        + "`; `cemigrate verify DIR` then shows any later change.",
        "",
    ]
    return "\n".join(out)


def _findings_markdown(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    out = [
        "| severity | area | check | kind | source key | target id | what |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in findings:
        out.append(
            f"| {f['severity']} | {f['area']} | {f['check']} | {f['kind']} | "
            f"{f['source_key'] or ''} | {f['target_id'] or ''} | {_md(f['message'])} |"
        )
    return out


def _sources(report: Mapping[str, Any]) -> str:
    return ", ".join(f"{s['instance']} ({s['platform']})" for s in report["sources"])


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _pair(row: Mapping[str, Any], metric: str) -> str:
    def one(side: Mapping[str, Any] | None) -> str:
        if side is None:
            return "n/a"
        return f"{_fmt(side[f'{metric}_median'])} / {_fmt(side[f'{metric}_p90'])}"

    return f"{one(row['source'])} → {one(row['target'])}"


# -- the rules section -----------------------------------------------------------------------

_RULE_COUNTS: Final = (
    ("total", "total"),
    ("translated", "translated"),
    ("partial", "partial"),
    ("untranslated", "not translated"),
    ("written", "written"),
    ("skipped", "skipped"),
    ("failed", "failed"),
    ("active", "active"),
    ("inactive", "inactive"),
    ("missing", "missing in target"),
)
_RULES_INTRO: Final = (
    "Rules and SLA policies are created inactive: nothing fires on imported history. Only the "
    "activation step (`cemigrate rules activate`, after cutover) switches them on, and the "
    "ledger records it. Not translated and partial rules are no defect: below is what is "
    "missing and why."
)


def _rule_count_rows(rules: Mapping[str, Any]) -> list[tuple[str, Mapping[str, int]]]:
    rows = [("rules", rules["counts"])]
    if rules.get("sla_policy_counts"):
        rows.append(("SLA policies", rules["sla_policy_counts"]))
    return rows


def _arrival(item: Mapping[str, Any]) -> str:
    """The outcome and its policy (only the policy's name when its reason is listed beside)."""
    outcome, policy = str(item["outcome"]), str(item.get("policy") or "")
    if item["reason"] and policy.endswith(f": {item['reason']}"):
        policy = policy.split(":")[0]
    return f"{outcome}: {policy}" if policy else outcome


def _state(item: Mapping[str, Any], states_read: bool) -> str:
    state = item["state"] or ("not reported" if item["outcome"] == "written" else "")
    if not states_read and item["outcome"] == "written":
        state = "not reported"
    return f"{state} (activated)" if item["activated"] else state


def _missing(item: Mapping[str, Any]) -> list[str]:
    """What a rule lost in translation (each part, and why), or why it was not translated."""
    parts = [f"{g['part']} `{g['original']}`: {g['reason']}" for g in item["missing"]]
    if item["reason"]:
        parts.insert(0, f"not translated: {item['reason']}")
    return parts


def _field_rows(fields: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """What was verified field by field: (what, how many, the attributes or check)."""
    rows = [
        (row["kind"], row["records"], ", ".join(row["attributes"])) for row in fields["compared"]
    ]
    rows += [(row["check"], row["tickets"], "per ticket") for row in fields["ticket_checks"]]
    return rows


def _fields_markdown(fields: Mapping[str, Any] | None) -> list[str]:
    if fields is None:
        return []
    out = ["", "## Field by field", ""]
    rows = _field_rows(fields)
    if not rows:
        return [*out, "Nothing compared field by field (see Not verified)."]
    out += ["| what | compared | attributes |", "|---|---:|---|"]
    out += [f"| {what} | {n:,} | {names} |" for what, n, names in rows]
    return out


def _fields_html(fields: Mapping[str, Any] | None) -> list[str]:
    if fields is None:
        return []
    rows = _field_rows(fields)
    if not rows:
        return [
            "<h2>Field by field</h2>",
            "<p>Nothing compared field by field (see Not verified).</p>",
        ]
    return [
        "<h2>Field by field</h2>",
        _table(["what", "compared", "attributes"], rows, {1}),
    ]


def _rules_markdown(rules: Mapping[str, Any] | None) -> list[str]:
    if not rules or not rules["items"]:
        return []
    out = ["", "## Rules", "", _RULES_INTRO, ""]
    out.append("| | " + " | ".join(label for _, label in _RULE_COUNTS) + " |")
    out.append("|---|" + "---:|" * len(_RULE_COUNTS))
    for name, counts in _rule_count_rows(rules):
        out.append(f"| {name} | " + " | ".join(_fmt(counts[k]) for k, _ in _RULE_COUNTS) + " |")
    if not rules["states_read"]:
        out += ["", f"The {rules['target']} target does not report whether its rules are active."]
    out += [
        "",
        "| rule | kind | id | translation | arrived | target id | state | missing / why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for item in rules["items"]:
        out.append(
            f"| {_md(item['title'])} | {item['rule_kind']} | {item['id']} | "
            f"{item['status'] or 'n/a'} | {_md(_arrival(item))} | {item['target_id'] or ''} | "
            f"{_state(item, rules['states_read'])} | {_md('; '.join(_missing(item)))} |"
        )
    return out


def _rules_html(rules: Mapping[str, Any] | None) -> list[str]:
    if not rules or not rules["items"]:
        return []
    counted = _rule_count_rows(rules)
    shown = ("translated", "partial", "untranslated", "active", "inactive", "missing")
    labels = dict(_RULE_COUNTS)
    colours = (_SOURCE, _TARGET)
    chart = bar_chart(
        "Rules: translation, and state in the target",
        [labels[k] for k in shown],
        [
            (name, [counts[k] for k in shown], colours[index % 2])
            for index, (name, counts) in enumerate(counted)
        ],
    )
    out = [
        "<h2>Rules</h2>",
        "<p>" + escape(_RULES_INTRO).replace("`", "<code>", 1).replace("`", "</code>", 1) + "</p>",
        _table(
            ["", *(name for name, _ in counted)],  # one column per row of the Markdown
            [(label, *(counts[k] for _, counts in counted)) for k, label in _RULE_COUNTS],
            set(range(1, len(counted) + 1)),
        ),
        chart,
    ]
    if not rules["states_read"]:
        out.append(
            f"<p>The {escape(rules['target'])} target does not report whether its rules are "
            "active.</p>"
        )
    rows = []
    for item in rules["items"]:
        missing = _missing(item)
        rows.append(
            (
                item["title"],
                item["rule_kind"],
                item["id"],
                item["status"] or "n/a",
                _arrival(item),
                item["target_id"] or "",
                _state(item, rules["states_read"]),
                _Raw("<br>".join(escape(m) for m in missing)),
            )
        )
    out.append(
        _table(
            ["rule", "kind", "id", "translation", "arrived", "target id", "state", "missing / why"],
            rows,
            set(),
            wide=True,
            breakable=frozenset({0, 2, 5, 7}),
        )
    )
    return out


# -- SVG ------------------------------------------------------------------------------------


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    percent: bool = False,
) -> str:
    """A grouped horizontal bar chart as inline SVG: one group per category, one bar per
    series (name, values, colour); a ``None`` value draws no bar and reads n/a."""
    label_width, bar_area, bar, gap = 170, 380, 11, 8
    group = bar * len(series) + gap
    legend = 22
    height = 30 + legend + group * len(categories) + 10
    width = label_width + bar_area + 90
    top = max((v for _, values, _ in series for v in values if v is not None), default=0.0)
    scale = bar_area / top if top else 0.0
    parts = [
        f'<svg role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    x = label_width
    for name, _, colour in series:
        parts.append(f'<rect x="{x}" y="26" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="35" class="legend">{escape(name)}</text>')
        x += 16 + 7 * len(name) + 14
    y = 30 + legend
    for index, category in enumerate(categories):
        parts.append(
            f'<text x="{label_width - 6}" y="{y + group / 2}" text-anchor="end" '
            f'class="label">{escape(category)}</text>'
        )
        for offset, (_, values, colour) in enumerate(series):
            value = values[index] if index < len(values) else None
            by = y + offset * bar
            if value is None:
                parts.append(
                    f'<text x="{label_width + 2}" y="{by + bar - 2}" class="value">n/a</text>'
                )
                continue
            length = max(0.0, value * scale)
            shown = f"{value:.1%}" if percent else _fmt(value)
            parts.append(
                f'<rect x="{label_width}" y="{by}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{by + bar - 3}" '
                f'class="value">{escape(shown)}</text>'
            )
        y += group
    parts.append("</svg>")
    return "".join(parts)


def _charts(report: Mapping[str, Any]) -> list[str]:
    counts = report["counts"]
    kinds = list(counts)
    charts = [
        bar_chart(
            "Records per kind: source, target, ledger done",
            kinds,
            [
                ("source", [counts[k]["source"] for k in kinds], _SOURCE),
                ("target", [counts[k]["target"] for k in kinds], _TARGET),
                ("done", [counts[k]["done"] for k in kinds], _LEDGER),
            ],
        )
    ]
    sla = report["sla"]
    bins = sla["histogram_bins"]
    for metric, label in (("first_reply", "First reply"), ("resolution", "Resolution")):
        hist = sla["histograms"][metric]
        target = hist["target"] or [None] * len(bins)
        charts.append(
            bar_chart(
                f"{label} time: tickets per band, source vs target",
                bins,
                [("source", hist["source"], _SOURCE), ("target", target, _TARGET)],
            )
        )
    rows = sla["by_policy_and_priority"]
    charts.append(
        bar_chart(
            "SLA breach rate by policy and priority",
            [f"{r['policy']} / {r['priority']}" for r in rows],
            [
                ("source", [r["source"]["breach_rate"] for r in rows], _SOURCE),
                ("target", [(r["target"] or {}).get("breach_rate") for r in rows], _TARGET),
            ],
            percent=True,
        )
    )
    return charts


# -- HTML -----------------------------------------------------------------------------------

_CSS: Final = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       margin: 1.2rem auto; max-width: 64rem; padding: 0 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #d5dae1; padding-bottom: .2rem;
     margin-top: 2rem; }
.first h2 { font-size: 1.05rem; margin-top: .9rem; }
.meta { margin: 0 0 .5rem; color: #4a5563; font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 13px; }
th, td { border: 1px solid #d5dae1; padding: .25rem .45rem; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
td.b { overflow-wrap: anywhere; }
th { background: #eef1f5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.first table { font-size: 12.5px; margin: .3rem 0; }
.first td, .first th { padding: .12rem .4rem; }
.criticals { margin: .3rem 0; padding-left: 1.2rem; font-size: 12.5px; line-height: 1.35; }
.criticals li { margin: .15rem 0; }
table.wide { font-size: 12px; }
.verdict { font-size: 1.05rem; padding: .5rem .8rem; border-radius: 4px; background: #eef1f5;
           border-left: 6px solid #5f6b7a; margin: .4rem 0; }
.verdict p { margin: .15rem 0; }
.verdict ul { margin: .2rem 0 0; padding-left: 1.2rem; font-size: 13px; }
.verdict-clean { border-left-color: #2e7d32; background: #edf6ee; }
.verdict-incomplete, .verdict-review { border-left-color: #c77700; background: #fbf3e6; }
.verdict-critical { border-left-color: #b00020; background: #fbeaec; }
.sev { font-weight: 600; }
.sev-critical { color: #b00020; } .sev-major { color: #c77700; } .sev-minor { color: #5f6b7a; }
.chart { display: block; margin: .8rem 0; max-width: 100%; height: auto; }
.chart-title { font: 600 13px system-ui, sans-serif; fill: #1d232b; }
.label, .legend, .value { font: 11px system-ui, sans-serif; fill: #1d232b; }
.signoff td { height: 2.2rem; }
code, .digest { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace;
                word-break: break-all; }
@media (max-width: 36rem) {
  table.wide thead { display: none; }
  table.wide tr { display: block; border: 1px solid #d5dae1; margin: .4rem 0; }
  table.wide td { display: block; border: 0; }
  table.wide td::before { content: attr(data-label) ": "; font-weight: 600; }
}
@page { margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11px; }
  table { font-size: 10.5px; }
  table.wide { font-size: 9.5px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .chart, .signoff, .verdict { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


_NUMERIC: Final = ' class="n"'
_BREAKABLE: Final = ' class="b"'


def _table(
    head: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: set[int],
    *,
    wide: bool = False,
    breakable: frozenset[int] = frozenset(),
) -> str:
    """A table; ``wide`` ones get a smaller print size and, on a narrow screen, one block per
    row with each cell labelled. Cells of the ``breakable`` columns (ids, messages) may break
    anywhere, so a long unbroken value cannot push the table past the page; the others break
    only between words."""
    out = ['<table class="wide">' if wide else "<table>", "<thead><tr>"]
    out += [
        f"<th{_NUMERIC if index in numeric else ''}>{escape(h)}</th>"
        for index, h in enumerate(head)
    ]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for index, cell in enumerate(row):
            css = _NUMERIC if index in numeric else _BREAKABLE if index in breakable else ""
            label = f' data-label="{escape(head[index])}"' if wide and head[index] else ""
            text = cell if isinstance(cell, _Raw) else escape(_fmt(cell))
            out.append(f"<td{css}{label}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class _Raw(str):
    """HTML already escaped."""


def _verdict_class(summary: Mapping[str, Any]) -> str:
    if summary["by_severity"].get("critical"):
        return "critical"
    if summary["findings"]:
        return "review"
    return "clean" if summary.get("clean", True) else "incomplete"


def _findings_html(findings: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        (
            _Raw(f'<span class="sev sev-{escape(f["severity"])}">{escape(f["severity"])}</span>'),
            f["area"],
            f["check"],
            f["kind"],
            f["source_key"] or "",
            f["target_id"] or "",
            f["message"],
        )
        for f in findings
    ]
    return _table(
        ["severity", "area", "check", "kind", "source key", "target id", "what"],
        rows,
        set(),
        wide=True,
        breakable=frozenset({2, 4, 5, 6}),
    )


def _first_screen(report: Mapping[str, Any]) -> list[str]:
    """What a reader sees before scrolling: the verdict (with every check that did not run),
    the counts per kind and the critical findings."""
    summary = report["summary"]
    sources = ", ".join(f"{s['instance']} ({s['platform']})" for s in report["sources"])
    verdict = [
        f'<div class="verdict verdict-{_verdict_class(summary)}" id="verdict">',
        f"<p><strong>Verdict: {escape(summary['verdict'])}</strong></p>",
        f"<p>{escape(_severity_line(summary))}.</p>",
    ]
    not_run = _not_run(report)
    if not_run:
        verdict.append(
            '<p>Not verified (<a href="#not-verified">why</a>):</p><ul>'
            + "".join(f"<li>{escape(str(item['what']))}</li>" for item in not_run)
            + "</ul>"
        )
    verdict.append("</div>")
    counts = report["counts"]
    criticals, more = _criticals(report)
    out = [
        '<section class="first">',
        "<h1>Migration reconciliation report</h1>",
        f'<p class="meta">Sources: {escape(sources)} → target: '
        f"{escape(report['target']['platform'])}. Generated {escape(report['generated_at'])} "
        f"by {escape(report['prepared_by'])}.</p>",
        *verdict,
        '<h2 id="counts">Counts per kind</h2>',
        _table(
            [
                "kind",
                "source",
                "target",
                "done",
                "failed",
                "skipped",
                "pending",
                "missing",
                _COUNTED,
            ],
            [
                (
                    _Raw(escape(kind).replace("_", "_<wbr>")),  # may break after "_"
                    c["source"],
                    _target_count(c),
                    c["done"],
                    c["failed"],
                    c["skipped"],
                    c["pending"],
                    c["missing_in_target"],
                    _counted_pair(c),
                )
                for kind, c in counts.items()
            ],
            {1, 2, 3, 4, 5, 6, 7, 8},
        ),
        '<h2 id="critical">Critical findings</h2>',
    ]
    if criticals:
        out.append(
            '<ul class="criticals" id="criticals">'
            + "".join(
                f"<li><strong>{escape(f['check'])}</strong> · "
                f"{escape(f['source_key'] or f['kind'])} → {escape(f['target_id'] or '-')}: "
                f"{escape(f['message'])}</li>"
                for f in criticals
            )
            + "</ul>"
        )
        if more:
            out.append(
                f'<p>And {more} more critical finding(s): see <a href="#findings">Findings</a> '
                "below.</p>"
            )
    else:
        out.append("<p>None.</p>")
    out += [f"<p>{escape(_sample_statement(report['deep']))}</p>", "</section>"]
    return out


def _coverage_html(report: Mapping[str, Any]) -> list[str]:
    """The two lists: checks that did not run, and what the target does not hold."""
    not_run = _not_run(report)
    out = ['<h2 id="not-verified">Not verified</h2>']
    if not_run:
        out += [
            f"<p>{escape(_NOT_RUN_INTRO)}</p>",
            "<ul>"
            + "".join(
                f"<li><strong>{escape(str(i['what']))}</strong>: {escape(str(i['why']))}</li>"
                for i in not_run
            )
            + "</ul>",
        ]
    else:
        out.append("<p>Nothing: every check ran.</p>")
    held = _not_held(report)
    out.append('<h2 id="not-held">Not held by the target as the source had it</h2>')
    if held:
        out += [
            f"<p>{escape(_held_intro(report))}</p>",
            _table(
                ["kind", "what", "records", "why"],
                [(i["kind"], i["what"], i["records"], i["why"]) for i in held],
                {2},
                wide=True,
                breakable=frozenset({1, 3}),
            ),
        ]
    else:
        out.append(
            "<p>Nothing: the target holds everything the source had, as the source had it.</p>"
        )
    return out


def html_page(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page: the first screen (verdict, counts, critical
    findings), then the details."""
    summary = report["summary"]
    body = [*_first_screen(report), '<h2 id="findings">Findings</h2>']
    if report["findings"]:
        body.append(_findings_html(report["findings"]))
        for check, n in summary["left_out"].items():
            body.append(f"<p>{n} more <code>{escape(check)}</code> findings are not listed.</p>")
    else:
        body.append("<p>None.</p>")
    charts = _charts(report)
    body += [
        "<h2>Records per kind</h2>",
        charts[0],
        "<p>Skipped by a named policy:</p>",
        _table(
            ["policy", "records"],
            list(report["skipped_by_policy"].items()) or [("none", 0)],
            {1},
        ),
        '<h2 id="independent">Counted by the platforms</h2>',
        f"<p>{escape(_INDEPENDENT_INTRO)}</p>",
        "<ul>"
        + (
            "".join(f"<li>{escape(line)}</li>" for line in _independent_lines(report))
            or "<li>nothing counted</li>"
        )
        + "</ul>",
    ]
    sla = report["sla"]
    body += [
        "<h2>SLA history</h2>",
        f"<p>{sla['tickets_compared']:,} tickets compared: first reply, resolution, breaches.</p>"
        if sla["verifiable"]
        else "<p>The target's stored SLA history is not read back: not verified.</p>",
        _table(
            [
                "policy",
                "priority",
                "tickets",
                "first reply median/p90",
                "resolution median/p90",
                "breach rate source → target",
            ],
            [
                (
                    r["policy"],
                    r["priority"],
                    r["tickets"],
                    _pair(r, "first_reply"),
                    _pair(r, "resolution"),
                    f"{_pct(r['source']['breach_rate'])} → "
                    f"{_pct((r['target'] or {}).get('breach_rate'))}",
                )
                for r in sla["by_policy_and_priority"]
            ],
            {2},
        ),
        *charts[1:],
    ]
    access = report["access"]
    body += [
        "<h2>Access</h2>",
        _table(
            ["check", "count"],
            [
                ("users compared", access["users_compared"]),
                ("rights widened (end user → agent/admin, agent → admin)", access["escalated"]),
                ("suspended in the source, active in the target", access["unsuspended"]),
                ("agents' group memberships compared", access["memberships_compared"]),
                ("memberships missing in the target", access["memberships_missing"]),
            ],
            {1},
        ),
        "<h2>KPI continuity</h2>",
        _table(
            ["KPI", "source", "target"],
            [(r["kpi"], _kpi(r, "source"), _kpi(r, "target")) for r in report["kpi"]],
            {1, 2},
        ),
        *_fields_html(report.get("fields")),
        *_rules_html(report.get("rules")),
        *_coverage_html(report),
        "<h2>Cost</h2>",
        f"<p>{report['cost']['seconds']} s; API calls by budget: "
        + escape(", ".join(f"{k} {int(v)}" for k, v in report["cost"]["calls"].items()) or "none")
        + "</p>",
        '<h2 id="signoff">Sign-off</h2>',
        '<table class="signoff"><tbody>',
        f"<tr><th>Prepared by</th><td>{escape(report['prepared_by'])}</td>"
        f"<th>Date</th><td>{escape(report['generated_at'])}</td></tr>",
        "<tr><th>Approved by</th><td></td><th>Role</th><td></td></tr>",
        "<tr><th>Signature</th><td></td><th>Date</th><td></td></tr>",
        "</tbody></table>",
        f'<p>Report digest (SHA-256 of its content): <span class="digest" id="digest">'
        f"{escape(report['digest'])}</span></p>",
        "<p>Record the approval with <code>cemigrate signoff DIR --name NAME --role ROLE"
        + ("" if summary.get("clean", True) else ' --accept "REASON"')
        + "</code>; <code>cemigrate verify DIR</code> then shows any later change.</p>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<title>Migration reconciliation report</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _counted(value: object) -> str:
    """A count from the platform's own counting, or "—" where it has none (listed below the
    table)."""
    return "—" if value is None else _fmt(value)


_COUNTED: Final = "platform count"
"""The counts table's last column: source count / target count, each from the platform's own
counting (no converter), "—" where it has none; how each was counted is listed below the
first screen."""

_COUNTED_NOTE: Final = (
    "Platform count: source / target, each from the platform's own counting endpoint or "
    "query, without the adapters' converters; — where it has none (see Counted by the "
    "platforms, below)."
)

_INDEPENDENT_INTRO: Final = (
    "A second path for the counts: each platform's own count, compared with the ledger and "
    "with the records the comparison read (a difference is a count.independent finding)."
)


def _counted_pair(c: Mapping[str, Any]) -> str:
    """The counts table's "platform count" cell: source / target."""
    return f"{_counted(c.get('counted_source'))} / {_counted(c.get('counted_target'))}"


def _target_count(c: Mapping[str, Any]) -> str:
    """The counts table's target cell: the records read back, else where the target keeps the
    kind (``target_held``: kept in tickets, ticket labels, the rules section's count)."""
    if c["target"] is not None:
        return _fmt(c["target"])
    return str(c.get("target_held") or "not read back")


def _kpi(row: Mapping[str, Any], side: str) -> str:
    """A KPI cell: the satisfaction good share as a percentage, the others as numbers."""
    value = row[side]
    if "ratings" in row and isinstance(value, float):
        return _pct(value)
    return _fmt(value)


def _independent_lines(report: Mapping[str, Any]) -> list[str]:
    """How the "counted" columns were counted (the platforms' own counts, no converter), and
    what no counting endpoint covers."""
    independent = report.get("independent_counts") or {}
    lines = []
    for side in ("source", "target"):
        for kind, c in (independent.get(side) or {}).items():
            note = ", approximate" if c.get("approximate") else ""
            lines.append(f"Counted in the {side}, {kind} ({c['scope']}{note}): {c['how']}")
    return [*lines, *(independent.get("not_counted") or [])]
