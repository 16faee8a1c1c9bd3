"""The human report: one line per check, then for each violation its counterexample table and
the sub-formula that was false; for each unknown, the reason.

Lines are built once as styled segments; they are joined as plain text (pipes, CI,
``--no-color``) or handed to rich for a colour terminal, so both show the same words.
"""
from __future__ import annotations

from ..checks.results import Report, Result, Verdict
from ..diagnostics import render as render_diag

Line = list[tuple[str, str | None]]  # (text, rich style)

_MARK = {Verdict.PROVED: ("✔", "green"), Verdict.SATISFIED: ("✔", "green"),
         Verdict.VIOLATED: ("✘", "bold red"), Verdict.UNKNOWN: ("?", "yellow")}
PAD = "      "


def report_lines(report: Report, quiet: bool = False) -> list[Line]:
    lines: list[Line] = []
    by_file: dict[str, list[Result]] = {}
    for r in report.results:
        by_file.setdefault(r.file, []).append(r)
    for file, results in by_file.items():
        if not quiet:
            lines.append([(file, "bold")])
        for r in results:
            if quiet and r.verdict.holds:
                continue
            mark, style = _MARK[r.verdict]
            lines.append([("  ", None), (f"{mark} {r.verdict.value:<9}", style),
                          (f" {r.check}", "bold"), (f"  ({r.time_ms:.0f} ms)", "dim")])
            if r.reason and r.verdict is Verdict.PROVED:  # a proof with a caveat
                lines.append([(f"{PAD}note: {r.reason}", "yellow")])
            if r.values and not quiet and r.verdict is Verdict.PROVED:
                lines.append([(PAD + "; ".join(f"{b.name} = {b.text}" for b in r.values), "dim")])
            if r.verdict in (Verdict.VIOLATED, Verdict.UNKNOWN) or \
                    (r.verdict is Verdict.SATISFIED and not quiet and r.model):
                lines.extend(_details(r))
    return lines


def _details(r: Result) -> list[Line]:
    out: list[Line] = [[(f"{PAD}{r.file}:{r.line}  {r.formula}", "dim")]]
    if r.verdict is Verdict.UNKNOWN:
        out.append([(f"{PAD}reason: {r.reason}", "yellow")])
        return out
    if r.reason:
        out.append([(f"{PAD}{r.reason}", None)])
    if r.model:
        title = "counterexample" if r.verdict is Verdict.VIOLATED else "witness"
        width = max(len(title), *(len(b.name) for b in r.model))
        out.append([(PAD + title.ljust(width) + "  value", "bold")])
        out.extend([[(PAD + b.name.ljust(width) + "  " + b.text, None)] for b in r.model])
    if r.blame and r.verdict is Verdict.VIOLATED:
        out.append([(f"{PAD}why:", "bold")])
        for b in r.blame:
            line: Line = [(PAD + "  " + "  " * b.depth + b.formula, None),
                          (f"  is {b.value}", "red" if b.value == "false" else "green")]
            if b.detail:
                line.append((f"  [{b.detail}]", "dim"))
            if b.location and b.depth and b.location.split(":")[-1] != str(r.line):
                line.append((f"  ({b.location})", "dim"))
            out.append(line)
    if r.assumptions and r.verdict is Verdict.VIOLATED:
        out.append([(f"{PAD}assumptions involved: {', '.join(r.assumptions)}", None)])
    return out


def summary_line(report: Report) -> Line:
    c = report.counts()
    parts = [f"{c['proved']} proved", f"{c['satisfied']} satisfied", f"{c['violated']} violated",
             f"{c['unknown']} unknown"]
    errors = len(report.errors)
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    total_ms = sum(r.time_ms for r in report.results if not r.cached)
    cached = sum(1 for r in report.results if r.cached)
    files = len(report.files)
    n = len(report.results)
    text = (f"{n} check{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}: "
            + ", ".join(parts) + f" ({total_ms / 1000:.2f} s solving"
            + (f", {cached} cached" if cached else "") + ")")
    style = "green" if report.exit_code == 0 else ("red" if report.exit_code in (1, 2) else "yellow")
    return [(text, style)]


def _emit(lines: list[Line], color: bool) -> str:
    if not color:
        return "".join("".join(t for t, _ in line) + "\n" for line in lines)
    import io

    from rich.console import Console
    from rich.text import Text
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=True, width=200, highlight=False, soft_wrap=True,
                  emoji=False)
    for line in lines:
        t = Text()
        for text, style in line:
            t.append(text, style=style)
        con.print(t)
    return buf.getvalue()


def render_text(report: Report, color: bool = False, quiet: bool = False) -> str:
    """The report body (stdout): per check a line; details for the failures."""
    return _emit(report_lines(report, quiet), color)


def render_summary(report: Report, color: bool = False) -> str:
    """The diagnostics and the summary line (stderr)."""
    out = "".join(render_diag(d, report.sources, color=color) + "\n\n" for d in report.diagnostics)
    return out + _emit([summary_line(report)], color)
