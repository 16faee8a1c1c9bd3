"""Renderers of a :class:`~formalc.trace.model.TraceReport`: one class per output format.

Each has ``render(report) -> str`` and computes nothing: the product goes to stdout, the
one-line :func:`summary` to stderr (the CLI's job).

- :class:`TextFormat` — a ``rich`` table (one row per definition), then the problems, each as
  ``kind [N.M]: message`` with its locations and hint;
- :class:`JsonFormat` — ``report.to_json()`` (schema ``formalc-trace``, docs/trace.md);
- :class:`MarkdownFormat` — a GitHub-flavoured table to paste into the document's repository.
"""
from __future__ import annotations

import io
import json
from pathlib import PurePath

from .model import Match, Row, TraceReport
from .names import pretty

_STYLE = {"ok": "green", "unchecked": "yellow", "not-run": "yellow"}


def _decl_summary(row: Row) -> str:
    if not row.decls:
        return "none"
    files = ", ".join(dict.fromkeys(PurePath(d.file).name for d in row.decls))
    return f"{len(row.decls)} in {files}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _match_text(m: Match) -> str:
    mark = "✔" if m.status == "consistent" else "✘"
    target = ", ".join(d.name for d in m.spec) if m.spec else "—"
    if m.how == "components":
        target = f"({target})"
    return f"{mark} {m.display or pretty(m.name)} → {target}"


def _checks_text(row: Row, tagged: bool = True) -> str:
    if not row.checks:
        return "none"
    counts = ", ".join(f"{n} {v}" for v, n in sorted(row.verdict_counts().items()))
    by_tag = f" ({sum(c.via == 'tag' for c in row.checks)} by tag)" if tagged else ""
    return f"{len(row.checks)}{by_tag}: {counts}"


def summary(report: TraceReport) -> str:
    """One line: ``24 definitions: 24 formalised, 20 consistent, 24 checked, 24 proved (351
    checks); 4 problems (3 missing-component, 1 different-signature) in 5.3 s``."""
    c = report.counts()
    kinds = ", ".join(f"{n} {k}" for k, n in report.problem_counts().items())
    probs = f"{c['problems']} problem{'s' * (c['problems'] != 1)}" + (f" ({kinds})" if kinds else "")
    verdicts = "" if report.verdicts == "run" else " [verdicts from the cache]"
    return (f"{c['definitions']} definitions: {c['formalised']} formalised, {c['consistent']} "
            f"consistent, {c['checked']} checked, {c['proved']} proved ({c['checks']} checks)"
            f"{verdicts}; {probs} in {report.seconds:.1f} s\n")


class TextFormat:
    """The terminal table. ``color`` styles it (rich markup); ``width`` fixes the width (a
    pipe or a test gets 120 columns rather than rich's 80)."""

    def __init__(self, color: bool = False, width: int | None = None):
        self.color, self.width = color, width

    def render(self, report: TraceReport) -> str:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
        buf = io.StringIO()
        console = Console(file=buf, width=self.width or 120, color_system="auto" if self.color
                          else None, force_terminal=self.color, highlight=False,
                          emoji=False, soft_wrap=False)
        table = Table(title=f"{report.document}: {len(report.rows)} definitions traced to "
                            f"{' '.join(report.spec_args)} ({_count(len(report.spec_files), 'spec file')})",
                      show_lines=True, expand=True,
                      title_justify="left")
        for col in ("Def.", "Title", "Status"):
            table.add_column(col, no_wrap=True)
        for col, ratio in (("Declarations", 2), ("Document → spec", 3), ("Checks", 2)):
            table.add_column(col, overflow="fold", ratio=ratio)
        for row in report.rows:
            status = Text(row.status, style=_STYLE.get(row.status, "bold red") if self.color
                          else None)
            table.add_row(Text(row.number), Text(row.title), status, Text(_decl_summary(row)),
                          Text("\n".join(_match_text(m) for m in row.matches) or "—"),
                          Text(_checks_text(row, tagged=False)))
        console.print(table)
        for p in report.problems:
            head = f"{p.kind}" + (f" [{p.definition}]" if p.definition else "")
            console.print(Text(f"{head}: {p.message}", style="bold" if self.color else None),
                          soft_wrap=True)
            for loc in p.locations:
                console.print(Text(f"    at {loc}"), soft_wrap=True)
            if p.hint:
                console.print(Text(f"    hint: {p.hint}", style="dim" if self.color else None),
                              soft_wrap=True)
        return buf.getvalue()


class JsonFormat:
    """The report as JSON (``formalc-trace``, version 1), keys in a fixed order."""

    def render(self, report: TraceReport) -> str:
        return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


class MarkdownFormat:
    """A Markdown table (one row per definition: the declarations by file, the comparisons,
    the checks and their verdicts, the status), then the problems as a list."""

    def render(self, report: TraceReport) -> str:
        c = report.counts()
        out = [f"<!-- formalc trace {report.document} {' '.join(report.spec_args)} -->",
               (f"**Traceability** of `{report.document}`: {c['definitions']} definitions, "
                f"{c['formalised']} formalised, {c['consistent']} consistent, {c['checked']} "
                f"checked, {c['proved']} with every check proved; {c['problems']} problems."),
               "",
               "| Def. | Title | Formalised by | Document → spec | Checks | Status |",
               "| --- | --- | --- | --- | --- | --- |"]
        for row in report.rows:
            by_file: dict[str, list[str]] = {}
            for d in row.decls:
                by_file.setdefault(d.file, []).append(f"`{d.name}`")
            decls = "<br>".join(f"`{f}`: {', '.join(ns)}" for f, ns in by_file.items()) or "—"
            matches = "<br>".join(
                f"{'✔' if m.status == 'consistent' else '✘'} `{m.display or pretty(m.name)}` → "
                + (", ".join(f"`{d.name}`" for d in m.spec) if m.spec else "—")
                for m in row.matches) or "—"
            failing = [f"`{x.check.name}` {x.outcome.value or 'not run'}"
                       for x in row.checks
                       if not x.outcome.holds]
            more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
            checks = _checks_text(row) + ("<br>" + ", ".join(failing[:5]) + more
                                          if failing else "")
            status = "✔ ok" if row.status == "ok" else f"✘ {row.status}"
            out.append("| " + " | ".join(_cell(x) for x in (
                row.number, row.title, decls, matches, checks, status)) + " |")
        if report.problems:
            out += ["", "**Problems**", ""]
            for p in report.problems:
                where = ", ".join(f"`{loc}`" for loc in p.locations)
                tag = f" [{p.definition}]" if p.definition else ""
                out.append(f"- `{p.kind}`{tag}: {p.message} ({where})")
        return "\n".join(out) + "\n"


FORMATS = {"text": TextFormat, "json": JsonFormat, "markdown": MarkdownFormat}
