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


def markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown."""
    summary = report["summary"]
    out = [
        "# Migration reconciliation report",
        "",
        f"**Verdict: {summary['verdict']}** — {summary['findings']} finding(s): "
        + ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items()),
        "",
        f"- Sources: {_sources(report)}; target: {report['target']['platform']}",
        f"- Generated {report['generated_at']} by {report['prepared_by']}",
        f"- Ledger journal: {report['ledger']['journal_rows']} rows, head "
        f"`{report['ledger']['journal_head'][:16] or '-'}`",
        f"- {_sample_statement(report['deep'])}",
        "",
        "## Findings",
        "",
    ]
    if report["findings"]:
        out += [
            "| severity | area | check | kind | source key | target id | what |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in report["findings"]:
            out.append(
                f"| {f['severity']} | {f['area']} | {f['check']} | {f['kind']} | "
                f"{f['source_key'] or ''} | {f['target_id'] or ''} | {_md(f['message'])} |"
            )
        for check, n in summary["left_out"].items():
            out.append(f"\n{n} more `{check}` findings are counted but not listed.")
    else:
        out.append("None.")
    out += [
        "",
        "## Counts per kind",
        "",
        "| kind | source | target | done | failed | skipped | pending | missing in target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, c in report["counts"].items():
        out.append(
            f"| {kind} | {_fmt(c['source'])} | {_fmt(c['target'])} | {_fmt(c['done'])} | "
            f"{_fmt(c['failed'])} | {_fmt(c['skipped'])} | {_fmt(c['pending'])} | "
            f"{_fmt(c['missing_in_target'])} |"
        )
    out += ["", "Skipped by a named policy:", ""]
    out += [f"- {policy}: {n}" for policy, n in report["skipped_by_policy"].items()] or ["- none"]
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
        out.append(f"| {row['kpi']} | {_fmt(row['source'])} | {_fmt(row['target'])} |")
    out += _fields_markdown(report.get("fields"))
    out += _rules_markdown(report.get("rules"))
    out += ["", "## Not verified", ""]
    out += [f"- {line}" for line in report["unverified"]] or ["- nothing"]
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
        "Record the approval with `cemigrate signoff DIR --name NAME --role ROLE`; "
        "`cemigrate verify DIR` then shows any later change.",
        "",
    ]
    return "\n".join(out)


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
    state = item["state"] or ("n/a" if item["outcome"] == "written" else "")
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
    for title, lines in _held_lists(fields):
        out += ["", f"{title}:", "", *(f"- {line}" for line in lines)]
    return out


_HELD_LISTS: Final = (
    ("not_held", "Not held by the target (its field ledger says why)"),
    ("own_records", "The target's own records"),
)


def _held_lists(fields: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The attributes and kinds the target does not hold, and the records it held already."""
    return [(title, list(fields[key])) for key, title in _HELD_LISTS if fields.get(key)]


def _fields_html(fields: Mapping[str, Any] | None) -> list[str]:
    if fields is None:
        return []
    rows = _field_rows(fields)
    if not rows:
        return [
            "<h2>Field by field</h2>",
            "<p>Nothing compared field by field (see Not verified).</p>",
        ]
    out = [
        "<h2>Field by field</h2>",
        _table(["what", "compared", "attributes"], rows, {1}),
    ]
    for title, lines in _held_lists(fields):
        out += [f"<p>{escape(title)}:</p>", "<ul>", *(f"<li>{escape(x)}</li>" for x in lines)]
        out.append("</ul>")
    return out


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
            ["", *(label for _, label in _RULE_COUNTS)],
            [(name, *(counts[k] for k, _ in _RULE_COUNTS)) for name, counts in counted],
            set(range(1, len(_RULE_COUNTS) + 1)),
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
       margin: 2rem auto; max-width: 64rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #d5dae1; padding-bottom: .2rem;
     margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 13px; }
th, td { border: 1px solid #d5dae1; padding: .25rem .45rem; text-align: left;
         vertical-align: top; }
th { background: #eef1f5; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 1.1rem; padding: .6rem .8rem; border-radius: 4px; background: #eef1f5; }
.sev { font-weight: 600; }
.sev-critical { color: #b00020; } .sev-major { color: #c77700; } .sev-minor { color: #5f6b7a; }
.chart { display: block; margin: .8rem 0; max-width: 100%; height: auto; }
.chart-title { font: 600 13px system-ui, sans-serif; fill: #1d232b; }
.label, .legend, .value { font: 11px system-ui, sans-serif; fill: #1d232b; }
.signoff td { height: 2.2rem; }
code, .digest { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace;
                word-break: break-all; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, .chart, .signoff { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    out = ["<table><thead><tr>"]
    out += [f"<th>{escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for index, cell in enumerate(row):
            css = ' class="n"' if index in numeric else ""
            text = cell if isinstance(cell, _Raw) else escape(_fmt(cell))
            out.append(f"<td{css}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class _Raw(str):
    """HTML already escaped."""


def html_page(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    summary = report["summary"]
    severity = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items())
    sources = ", ".join(f"{s['instance']} ({s['platform']})" for s in report["sources"])
    body = [
        "<h1>Migration reconciliation report</h1>",
        f"<p>Sources: {escape(sources)} → target: {escape(report['target']['platform'])}. "
        f"Generated {escape(report['generated_at'])} by {escape(report['prepared_by'])}.</p>",
        f'<p class="verdict"><strong>Verdict: {escape(summary["verdict"])}</strong> — '
        f"{summary['findings']} finding(s): {escape(severity)}.</p>",
        f"<p>{escape(_sample_statement(report['deep']))}</p>",
        "<h2>Findings</h2>",
    ]
    if report["findings"]:
        rows = [
            (
                _Raw(
                    f'<span class="sev sev-{escape(f["severity"])}">{escape(f["severity"])}</span>'
                ),
                f["area"],
                f["check"],
                f["kind"],
                f["source_key"] or "",
                f["target_id"] or "",
                f["message"],
            )
            for f in report["findings"]
        ]
        body.append(
            _table(
                ["severity", "area", "check", "kind", "source key", "target id", "what"],
                rows,
                set(),
            )
        )
        for check, n in summary["left_out"].items():
            body.append(f"<p>{n} more <code>{escape(check)}</code> findings are not listed.</p>")
    else:
        body.append("<p>None.</p>")
    charts = _charts(report)
    counts = report["counts"]
    body += [
        "<h2>Counts per kind</h2>",
        _table(
            ["kind", "source", "target", "done", "failed", "skipped", "pending", "missing"],
            [
                (
                    kind,
                    c["source"],
                    c["target"],
                    c["done"],
                    c["failed"],
                    c["skipped"],
                    c["pending"],
                    c["missing_in_target"],
                )
                for kind, c in counts.items()
            ],
            {1, 2, 3, 4, 5, 6, 7},
        ),
        charts[0],
        "<p>Skipped by a named policy:</p>",
        _table(
            ["policy", "records"],
            list(report["skipped_by_policy"].items()) or [("none", 0)],
            {1},
        ),
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
            [(r["kpi"], r["source"], r["target"]) for r in report["kpi"]],
            {1, 2},
        ),
        *_fields_html(report.get("fields")),
        *_rules_html(report.get("rules")),
        "<h2>Not verified</h2>",
        "<ul>"
        + ("".join(f"<li>{escape(u)}</li>" for u in report["unverified"]) or "<li>nothing</li>")
        + "</ul>",
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
        "<p>Record the approval with <code>cemigrate signoff DIR --name NAME --role ROLE</code>; "
        "<code>cemigrate verify DIR</code> then shows any later change.</p>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<title>Migration reconciliation report</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
