"""Diagnostics: stable codes, source spans and rendering.

Every problem formalc finds in its input is a :class:`Diagnostic` with a code from
:data:`CODES` (one closed list, banded by stage), a :class:`Span` and, where it helps, a hint.
Stages return diagnostics as data; only the driver decides to stop.

>>> d = Diagnostic("FC201", "unknown name `Runing`", Span("a.iot", 3, 7, 3, 13, 8, 14),
...                hint="did you mean `Running`?")
>>> print(render(d, {"a.iot": "\\n\\ncheck Runing = x\\n"}, color=False))
error[FC201]: unknown name `Runing`
  --> a.iot:3:7
   |
 3 | check Runing = x
   |       ^^^^^^
   = hint: did you mean `Running`?
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Mapping

#: Every diagnostic code formalc emits, with its one-line meaning. Bands: FC0xx input and files,
#: FC1xx syntax, FC2xx names and modules, FC3xx types and units, FC4xx checks and the solver,
#: FC5xx state machines, FC6xx imported artifacts (OCI configs, seccomp profiles, Kubernetes),
#: FC7xx schedules.
CODES: dict[str, str] = {
    "FC001": "a file or folder named on the command line or in an import does not exist",
    "FC002": "a file is not valid UTF-8 text",
    "FC003": "a file looks binary (it contains NUL bytes)",
    "FC004": "a file is larger than the size limit",
    "FC005": "a folder holds no .iot files",
    "FC006": "a spec file declares nothing",
    "FC101": "unexpected token: the text does not fit the grammar here",
    "FC102": "unexpected character: no token of the language starts with it",
    "FC103": "unexpected end of file: a construct is not finished",
    "FC104": "expression nested too deeply",
    "FC105": "unknown unit on a number",
    "FC106": "malformed literal",
    "FC201": "unknown name",
    "FC202": "duplicate declaration",
    "FC203": "import not found",
    "FC204": "import cycle",
    "FC205": "unknown field of a tuple",
    "FC206": "recursive definition",
    "FC207": "enumeration mixes new names with existing constants",
    "FC208": "a name is used as something it is not (a type as a value, a value as a type, ...)",
    "FC209": "duplicate entry in a function table",
    "FC210": "conflicting entries in a function table (not a function)",
    "FC211": "reserved name redeclared",
    "FC212": "an enumeration lists no members",
    "FC301": "type mismatch",
    "FC302": "unit mismatch: quantities of different dimensions combined",
    "FC303": "wrong number of arguments",
    "FC304": "not callable: only functions, predicates, metrics and tuple types take arguments",
    "FC305": "the type of a parameter cannot be inferred",
    "FC306": "a number without a unit where a quantity is expected",
    "FC307": "a check or assumption is not a Boolean formula",
    "FC308": "operation not defined for this type",
    "FC309": "division by the literal zero",
    "FC310": "a quantifier or sum has no bound variable, or binds a name twice",
    "FC311": "tuple constructed with missing or unknown fields",
    "FC401": "a check uses a construct the solver back end does not support (verdict: unknown)",
    "FC402": "a check names nothing the --select filter matched",
    "FC501": "a machine names a state, event, variable or component it does not have",
    "FC502": "conflicting rows of δ: one state and event with two targets and no guards to tell them apart",
    "FC503": "a machine is incomplete or malformed (δ's signature, the initial state, its parts)",
    "FC504": "a temporal operator where a state predicate is required",
    "FC505": "a parameter or an instance count without bounds",
    "FC506": "an assignment to something that is not a variable of the machine, or twice in one step",
    "FC507": "`⊨` outside a check, or applied to something that is not a machine or a schedule",
    "FC508": "a composition whose components cannot be counted (a component with variables)",
    "FC509": "a structural machine property in a `check sat` (it is about every run)",
    "FC701": "a schedule's objective names a cost or capacity the schedule does not have",
    "FC702": "a schedule statement is missing, repeated, or named like another one",
    "FC703": "a capacity is not `demand ≤ capacity` over one resource dimension in one unit",
    "FC704": "an expression of a schedule mentions a variable it cannot see",
    "FC705": "a cost is not a plain number (it has a unit or is not numeric)",
    "FC706": "an objective is not a non-negative weighted sum of the schedule's terms",
    "FC707": "`placements` outside a weight of `minimize`",
    "FC708": "a number of replicas is not a whole number ≥ 0",
    "FC709": "a schedule's service or node set is empty",
    "FC710": "a schedule's set or value cannot be evaluated to a constant",
    "FC711": "two services or two nodes of a schedule have the same name",
    "FC712": "a schedule property (`S ⊨ …`) is unknown or has wrong arguments",
    "FC801": "`formalc conform` names a machine the spec does not have",
    "FC802": "conformance is asked of a composition instead of a basic machine",
    "FC803": "a machine's initial states, guards or updates cannot be evaluated on values",
    "FC804": "too many states of a machine are consistent with what was observed",
    "FC805": "an event given to conformance is not a command event of the machine",
    "FC806": "the adapter performs none of the machine's events",
    "FC601": "an artifact is not valid JSON or YAML",
    "FC602": "a field of an artifact has the wrong type",
    "FC603": "an artifact has a field formalc does not know (a warning: it is not checked)",
    "FC604": "a seccomp profile names a system call that does not exist",
    "FC605": "a seccomp profile names an unknown architecture",
    "FC606": "an unknown Linux capability",
    "FC607": "an artifact lacks a required field",
    "FC608": "a file is not an artifact formalc can import (unknown kind)",
    "FC609": "an artifact field has a value outside its allowed set",
}


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based line and column, 0-based character offsets.

    The attribute names follow Lark's position metadata, so a span can stand in for it.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_pos: int = 0
    end_pos: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def empty(self) -> bool:  # Lark reads this on position metadata
        return False

    @staticmethod
    def whole(file: str) -> "Span":
        """A span for diagnostics about a file as a whole (line 1, column 1)."""
        return Span(file, 1, 1, 1, 1, 0, 0)

    def to(self, other: "Span") -> "Span":
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column,
                    self.start_pos, other.end_pos)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the input: a stable code, a message, where, and how to fix it."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[tuple[str, Span | None], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self, offsets: bool = False) -> dict:
        """The diagnostic as documented in docs/json-report.md; ``offsets`` adds character
        offsets to locations (for formalc's own cache, not part of the report schema)."""
        d: dict = {"code": self.code, "severity": self.severity.value, "message": self.message,
                   "hint": self.hint}
        d["location"] = _span_json(self.span, offsets)
        d["notes"] = [{"message": m, "location": _span_json(s, offsets)} for m, s in self.notes]
        return d


def diagnostic_from_json(d: dict) -> Diagnostic:
    """The inverse of :meth:`Diagnostic.to_json` (used by the result cache)."""
    def span(x):
        if x is None:
            return None
        return Span(x["file"], x["line"], x["column"], x["end_line"], x["end_column"],
                    x.get("start_pos", 0), x.get("end_pos", 0))
    return Diagnostic(d["code"], d["message"], span(d["location"]), hint=d["hint"],
                      severity=Severity(d["severity"]),
                      notes=tuple((n["message"], span(n["location"])) for n in d["notes"]))


def _span_json(span: Span | None, offsets: bool = False) -> dict | None:
    if span is None:
        return None
    d = {"file": span.file, "line": span.line, "column": span.column,
         "end_line": span.end_line, "end_column": span.end_column}
    if offsets:
        d.update(start_pos=span.start_pos, end_pos=span.end_pos)
    return d


class SpecError(Exception):
    """Raised by the library API when a spec has errors; ``diagnostics`` holds them all."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None):
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources or {})
        first = next((d for d in self.diagnostics if d.is_error), None)
        summary = f"{first.code}: {first.message} at {first.span}" if first else "spec error"
        more = len([d for d in self.diagnostics if d.is_error]) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))

    def render(self, color: bool = False) -> str:
        return "\n".join(render(d, self.sources, color=color) for d in self.diagnostics)


def source_text(sources: Mapping[str, str], span: Span | None) -> str | None:
    """The text a span covers, on one line (runs of whitespace become one space), or None."""
    if span is None or span.end_pos <= span.start_pos or span.file not in sources:
        return None
    text = " ".join(sources[span.file][span.start_pos:span.end_pos].split())
    return text or None


def suggest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """A "did you mean" hint for a misspelt name, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=cutoff)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    if not close:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


def render(d: Diagnostic, sources: Mapping[str, str], color: bool = False) -> str:
    """Render a diagnostic as text: header, location, source line with carets, hint.

    Never raises: a span that does not fit the source is shown without the excerpt.
    """
    try:
        return _render(d, sources, color)
    except Exception:  # rendering must not crash the program
        return f"{d.severity.value}[{d.code}]: {d.message} at {d.span}"


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _render(d: Diagnostic, sources: Mapping[str, str], color: bool) -> str:
    sev_color = {"error": "1;31", "warning": "1;33", "note": "1;36"}[d.severity.value]
    out = [_style(f"{d.severity.value}[{d.code}]", sev_color, color) + f": {d.message}"]
    if d.span is not None:
        out.append(f"  --> {d.span.file}:{d.span.line}:{d.span.column}")
        excerpt = _excerpt(d.span, sources.get(d.span.file))
        if excerpt:
            out.extend(excerpt if not color else [
                line if i != len(excerpt) - 1 else _style(line, sev_color, True)
                for i, line in enumerate(excerpt)])
    for message, span in d.notes:
        where = f" ({span.file}:{span.line}:{span.column})" if span else ""
        out.append(f"   = note: {message}{where}")
    if d.hint:
        out.append(f"   = hint: {d.hint}")
    return "\n".join(out)


def _excerpt(span: Span, text: str | None) -> list[str]:
    if not text or span.line < 1:
        return []
    lines = text.splitlines()
    if span.line > len(lines):
        return []
    src = lines[span.line - 1]
    if len(src) > 200:  # keep the excerpt readable on absurdly long lines
        start = max(0, span.column - 60)
        src_shown = src[start:start + 160]
        col = span.column - start
    else:
        src_shown, col = src, span.column
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    width = max(1, min(width, len(src_shown) - col + 2))
    gutter = len(str(span.line))
    pad = " " * gutter
    return [f" {pad} |", f" {span.line} | {src_shown}", f" {pad} | " + " " * (col - 1) + "^" * width]
