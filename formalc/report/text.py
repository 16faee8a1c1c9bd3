"""The human report: one line per check, then for each violation its counterexample table and
the sub-formula that was false; for each unknown, the reason.

Lines are built once as styled segments; they are joined as plain text (pipes, CI,
``--no-color``) or handed to rich for a colour terminal, so both show the same words.
"""
from __future__ import annotations

import re

from ..checks.results import Report, Result, Verdict
from ..diagnostics import render as render_diag

Line = list[tuple[str, str | None]]  # (text, rich style)

_MARK = {Verdict.PROVED: ("✔", "green"), Verdict.SATISFIED: ("✔", "green"),
         Verdict.VIOLATED: ("✘", "bold red"), Verdict.UNKNOWN: ("?", "yellow")}
PAD = "      "


def report_lines(report: Report, quiet: bool = False, engine: str = "auto") -> list[Line]:
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
            if is_schedule_result(r):  # schedule properties (S ⊨ failover(1), …)
                lines.extend(schedule_details(r, quiet))
                continue
            if is_machine_result(r):  # machine checks (M ⊨ φ) have their own details
                lines.extend(machine_details(r, quiet, engine))
                continue
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


# ------------------------------------------------------------------------------ schedule checks
def is_schedule_result(r: Result) -> bool:
    """A result of a schedule property `S ⊨ p` (its method says "schedule: …")."""
    return bool(r.method and r.method.startswith("schedule:"))


def schedule_details(r: Result, quiet: bool = False) -> list[Line]:
    """How a schedule property was decided, the counterexample (failed nodes, stranded
    services) and the explanation, one sentence a line."""
    failing = r.verdict in (Verdict.VIOLATED, Verdict.UNKNOWN)
    if quiet and not failing:
        return []
    out: list[Line] = []
    if failing:
        out.append([(f"{PAD}{r.file}:{r.line}  {r.formula}", "dim")])
    out.append([(f"{PAD}{_VERB[r.verdict]} {r.method[len('schedule:'):].strip()}", "dim")])
    if r.verdict is Verdict.UNKNOWN:
        out.append([(f"{PAD}reason: {r.reason}", "yellow")])
    elif r.reason:
        out.append([(f"{PAD}{r.reason}", None)])
    if r.model and failing:
        width = max(len("counterexample"), *(len(b.name) for b in r.model))
        out.append([(PAD + "counterexample".ljust(width) + "  value", "bold")])
        out.extend([[(PAD + b.name.ljust(width) + "  " + b.text, None)] for b in r.model])
    for d in r.details:
        out.append([(f"{PAD}{d}", None)])
    return out


# ------------------------------------------------------------------------------ machine checks
_MODELS = re.compile(r"⊨|\bmodels\b")


def is_machine_result(r: Result) -> bool:
    """A result of a machine check `M ⊨ φ` (also one that failed before an engine ran)."""
    return r.trace is not None or r.method is not None or bool(r.warnings) or \
        bool(_MODELS.search(r.formula or ""))


_VERB = {Verdict.PROVED: "proved by", Verdict.SATISFIED: "witness found by",
         Verdict.VIOLATED: "counterexample found by", Verdict.UNKNOWN: "tried:"}


def machine_details(r: Result, quiet: bool = False, engine: str = "auto") -> list[Line]:
    """The lines under a machine check's verdict line: how it was decided, the run (a table
    of steps with the variables that changed), reachable paths, warnings, and for a failure
    the command that replays it."""
    failing = r.verdict in (Verdict.VIOLATED, Verdict.UNKNOWN)
    out: list[Line] = []
    if not failing and quiet:
        return out
    if failing or (r.verdict is Verdict.SATISFIED and r.trace is not None):
        out.append([(f"{PAD}{r.file}:{r.line}  {r.formula}", "dim")])
    if r.method and r.method != "none":
        verb = ("shown to have no witness by" if r.kind == "sat" and r.verdict is Verdict.VIOLATED
                else _VERB[r.verdict])
        out.append([(f"{PAD}{verb} {r.method}", "dim")])
    if r.verdict is Verdict.UNKNOWN:
        out.append([(f"{PAD}reason: {r.reason}", "yellow")])
    elif r.reason:
        out.append([(f"{PAD}{'note: ' if r.verdict is Verdict.PROVED else ''}{r.reason}",
                     "yellow" if r.verdict is Verdict.PROVED else None)])
    if r.trace is not None:
        out.extend(trace_lines(r))
    if r.values:
        out.append([(f"{PAD}reachable states, each with a shortest event path:", "bold")])
        width = max(len(b.name) for b in r.values)
        out.extend([[(PAD + "  " + b.name.ljust(width) + "  " + b.text, None)] for b in r.values])
    for w in r.warnings:
        out.append([(f"{PAD}warning: {w}", "yellow")])
    if failing:
        out.append([(f"{PAD}replay: {replay_command(r, engine)}", "dim")])
    return out


def replay_command(r: Result, engine: str = "auto") -> str:
    """The command that checks ``r`` again alone and writes its trace as ITF JSON."""
    import shlex
    return shlex.join(["formalc", "check", r.file, "-k", r.check, "--engine", engine,
                       "--trace-out", f"{r.check}.itf.json"])


def value_text(v) -> str:
    """A plain trace value as the spec would write it."""
    from fractions import Fraction
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, dict):
        return "(" + ", ".join(f"{k}: {value_text(x)}" for k, x in v.items()) + ")"
    if isinstance(v, (list, tuple, set, frozenset)):
        return "{" + ", ".join(value_text(x) for x in v) + "}"
    return str(v)


_INSTANCE = re.compile(r"^(.*)\[(\d+)\]$")


def initial_text(state: dict, texts: dict | None = None) -> str:
    """Step 0 compactly: instances in a row with the same value are grouped, `c[1..5] = Created`."""
    parts: list[str] = []
    run: list = []  # [base, first, last, value]

    def flush():
        if run:
            base, lo, hi, val = run
            idx = str(lo) if lo == hi else f"{lo}..{hi}"
            parts.append(f"{base}[{idx}] = {value_text(val)}")
            run.clear()
    for k, v in state.items():
        m = _INSTANCE.match(k)
        if m:
            base, i = m.group(1), int(m.group(2))
            if run and run[0] == base and run[2] == i - 1 and run[3] == v:
                run[2] = i
                continue
            flush()
            run.extend([base, i, i, v])
            continue
        flush()
        parts.append(f"{k} = {(texts or {}).get(k) or value_text(v)}")
    flush()
    return ", ".join(parts)


def event_text(step) -> str:
    if step.event is None:
        return "(initial)"
    ev = f"{step.instance}.{step.event}" if step.instance else step.event
    return ev + (" / " + ", ".join(step.actions) if step.actions else "")


def trace_lines(r: Result) -> list[Line]:
    """The run as a table: step | event | changed variables (`name: old → new`)."""
    t = r.trace
    assert t is not None
    title = {Verdict.VIOLATED: "counterexample run", Verdict.SATISFIED: "witness run"}.get(
        r.verdict, "run")
    if t.loop is not None:
        title += " (a lasso: it loops forever)"
    out: list[Line] = [[(f"{PAD}{title} of {t.machine}:", "bold")]]
    rows = []
    prev = None
    prev_texts: dict = {}
    for s in t.steps:
        if prev is None:
            changed = initial_text(s.state, s.texts)
        else:
            names = s.changed or tuple(k for k, v in s.state.items() if prev.get(k) != v)
            changed = ", ".join(
                f"{k}: {prev_texts.get(k) or value_text(prev.get(k))} → "
                f"{s.texts.get(k) or value_text(s.state.get(k))}" for k in names) or "(nothing changed)"
        rows.append((str(s.index), event_text(s), changed, s.index))
        prev, prev_texts = s.state, s.texts
    w_step = max(4, *(len(a) for a, *_ in rows))
    w_event = max(5, *(len(b) for _, b, *_ in rows))
    out.append([(PAD + "  " + "step".rjust(w_step) + "  " + "event".ljust(w_event)
                 + "  changed", "bold")])
    for step, event, changed, index in rows:
        line: Line = [(PAD + "  " + step.rjust(w_step) + "  " + event.ljust(w_event) + "  "
                       + changed, None)]
        if t.loop is not None and index == t.loop:
            line.append(("   ← loop starts here ↺", "cyan"))
        if t.failed_at is not None and index == t.failed_at and t.formula:
            line.append(("   ← fails here", "red"))
        out.append(line)
    if t.loop is not None:
        out.append([(f"{PAD}  then back to step {t.loop} forever", "cyan")])
    if t.formula:
        where = f" at step {t.failed_at}" if t.failed_at is not None else ""
        verb = "is true" if r.verdict is Verdict.SATISFIED else "is false"
        out.append([(f"{PAD}`{t.formula}` {verb}{where}", "red" if verb == "is false" else None)])
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


def render_text(report: Report, color: bool = False, quiet: bool = False,
                engine: str = "auto") -> str:
    """The report body (stdout): per check a line; details for the failures. ``engine`` is
    the engine of this run, named in the replay command of a failing machine check."""
    return _emit(report_lines(report, quiet, engine), color)


def render_summary(report: Report, color: bool = False) -> str:
    """The diagnostics and the summary line (stderr)."""
    out = "".join(render_diag(d, report.sources, color=color) + "\n\n" for d in report.diagnostics)
    return out + _emit([summary_line(report)], color)
