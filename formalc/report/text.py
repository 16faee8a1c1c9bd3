"""The human report: one line per check, then for each violation its counterexample table and
the sub-formula that was false; for each unknown, the reason."""
from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..checks.results import Report, Result, Verdict
from ..diagnostics import render as render_diag

_STYLE = {Verdict.PROVED: ("✔", "green"), Verdict.SATISFIED: ("✔", "green"),
          Verdict.VIOLATED: ("✘", "bold red"), Verdict.UNKNOWN: ("?", "yellow")}


def _console(color: bool, width: int = 200) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=color, no_color=not color, width=width,
                   highlight=False, soft_wrap=True, emoji=False), buf


def render_text(report: Report, color: bool = False, quiet: bool = False,
                width: int = 200) -> str:
    """The report body (stdout): per check a line; details for the failures."""
    con, buf = _console(color, width)
    by_file: dict[str, list[Result]] = {}
    for r in report.results:
        by_file.setdefault(r.file, []).append(r)
    for file, results in by_file.items():
        if not quiet:
            con.print(Text(file, style="bold"))
        for r in results:
            if quiet and r.verdict.holds:
                continue
            mark, style = _STYLE[r.verdict]
            line = Text("  ")
            line.append(f"{mark} {r.verdict.value:<9}", style=style)
            line.append(f" {r.check}", style="bold")
            line.append(f"  ({r.time_ms:.0f} ms{', cached' if r.cached else ''})", style="dim")
            con.print(line)
            if r.verdict is Verdict.VIOLATED or (r.verdict is Verdict.UNKNOWN) or \
                    (r.verdict is Verdict.SATISFIED and not quiet and r.model):
                _details(con, r)
    return buf.getvalue()


def _details(con: Console, r: Result) -> None:
    pad = "      "
    con.print(Text(f"{pad}{r.file}:{r.line}  {r.formula}", style="dim"))
    if r.verdict is Verdict.UNKNOWN:
        con.print(Text(f"{pad}reason: {r.reason}", style="yellow"))
        return
    if r.reason:
        con.print(Text(f"{pad}{r.reason}"))
    if r.model:
        title = "counterexample" if r.verdict is Verdict.VIOLATED else "witness"
        table = Table(title=None, show_header=True, header_style="bold", box=None,
                      padding=(0, 2, 0, 0), pad_edge=False)
        table.add_column(title)
        table.add_column("value")
        for b in r.model:
            table.add_row(escape(b.name), escape(b.text))
        con.print(_indent(table, pad))
    if r.blame and r.verdict is Verdict.VIOLATED:
        con.print(Text(f"{pad}why:", style="bold"))
        for b in r.blame:
            t = Text(pad + "  " + "  " * b.depth)
            t.append(b.formula)
            t.append(f"  is {b.value}", style="red" if b.value == "false" else "green")
            if b.detail:
                t.append(f"  [{b.detail}]", style="dim")
            if b.location and b.depth and b.location.split(":")[-1] != str(r.line):
                t.append(f"  ({b.location})", style="dim")
            con.print(t)
    if r.assumptions and r.verdict is Verdict.VIOLATED:
        con.print(Text(f"{pad}assumptions involved: {', '.join(r.assumptions)}"))


def _indent(table: Table, pad: str):
    from rich.padding import Padding
    return Padding(table, (0, 0, 0, len(pad)), expand=False)


def render_summary(report: Report, color: bool = False) -> str:
    """The summary line (stderr) and the diagnostics."""
    con, buf = _console(color)
    out = []
    for d in report.diagnostics:
        out.append(render_diag(d, report.sources, color=color))
    c = report.counts()
    parts = [f"{c['proved']} proved", f"{c['satisfied']} satisfied", f"{c['violated']} violated",
             f"{c['unknown']} unknown"]
    errors = len(report.errors)
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    total_ms = sum(r.time_ms for r in report.results if not r.cached)
    cached = sum(1 for r in report.results if r.cached)
    summary = f"{len(report.results)} checks in {len(report.files)} file" \
              f"{'s' if len(report.files) != 1 else ''}: " + ", ".join(parts) + \
              f" ({total_ms / 1000:.2f} s solving" + (f", {cached} cached" if cached else "") + ")"
    style = "green" if report.exit_code == 0 else ("red" if report.exit_code in (1, 2) else "yellow")
    if out:
        con.print("\n\n".join(out), markup=False, highlight=False)
    con.print(Text(summary, style=style))
    return buf.getvalue()
