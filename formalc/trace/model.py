"""The values a trace produces: rows of the matrix, comparisons, covering checks, problems.

All are frozen dataclasses of plain values, built by :mod:`formalc.trace.matrix` and read by
the renderers (:mod:`formalc.trace.render`); ``TraceReport.to_json()`` is the schema of
``formalc trace --format json`` (docs/trace.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .specs import Outcome, SpecCheck, SpecDecl

#: The problem kinds, a closed list, in the order a row's status picks them (worst first).
PROBLEMS: dict[str, str] = {
    "unformalised": "no spec declaration is tagged with the definition (`@def N.M`)",
    "unmatched": "a declaration of the document (tuple, enumeration, function, …) has no "
                 "counterpart among the declarations tagged with its definition",
    "different-kind": "the counterpart is another kind of declaration (a tuple formalised as a "
                      "predicate, a function as an enumeration, …)",
    "missing-component": "a component of the document's tuple is not a field of the spec's tuple",
    "different-members": "the document's enumeration and the spec's have different members",
    "different-signature": "a function's arity, parameter types or result type differ",
    "different-operands": "the document builds a predicate from a name the spec's predicate "
                          "does not use",
    "unparsed-formula": "a formula of the definition was not (fully) parsed, so it was not "
                        "compared with the spec",
    "unchecked": "the definition is formalised but no check covers it",
    "not-proved": "a check covering the definition is violated or unknown",
    "not-run": "a check covering the definition has no verdict (not run, nothing cached)",
    "unknown-definition": "a spec declaration or check cites a definition the document does "
                          "not have",
    "document": "the document itself has a problem (an unclosed `$$`)",
}

_ORDER = {k: i for i, k in enumerate(PROBLEMS)}


@dataclass(frozen=True)
class Location:
    """A place: the document or a spec file, and a 1-based line."""
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line}


@dataclass(frozen=True)
class Problem:
    """One problem: its ``kind`` (a key of :data:`PROBLEMS`), the definition it concerns
    (None for a document problem outside any definition), a message naming the culprit, and
    its locations — the document line first, then spec ``file:line`` places."""
    kind: str
    definition: str | None
    message: str
    locations: tuple[Location, ...] = ()
    hint: str | None = None

    def sort_key(self):
        return (_number_key(self.definition), self.locations[0].line if self.locations else 0,
                _ORDER.get(self.kind, 99), self.message)

    def to_json(self) -> dict:
        return {"kind": self.kind, "definition": self.definition, "message": self.message,
                "locations": [loc.to_json() for loc in self.locations], "hint": self.hint}


@dataclass(frozen=True)
class Match:
    """The comparison of one declaration of the document with the spec.

    ``how`` says how the counterpart was found: ``name`` (same name), ``result`` (a function
    named by its result, ``Performance = f(…)``), ``alias`` (a known renaming,
    :mod:`formalc.trace.names`), ``shape`` (the tagged declaration whose
    components or members fit best), ``components`` (a tuple whose components are each a
    declaration), or None (no counterpart). ``status``: ``consistent``, ``disagrees``,
    ``unmatched``. ``spec`` holds the counterpart(s); ``notes`` how parts were paired.
    ``name`` is the document's name as extraction gives it (``C_IoT``), ``display`` as the
    formula writes it (``𝒞_IoT`` for ``\\mathcal{C}_{IoT}``)."""
    line: int
    kind: str
    name: str
    parts: tuple[str, ...]
    result: str | None
    how: str | None
    status: str
    spec: tuple[SpecDecl, ...] = ()
    notes: tuple[str, ...] = ()
    display: str = ""

    def to_json(self) -> dict:
        return {"line": self.line, "kind": self.kind, "name": self.name,
                "display": self.display or self.name, "parts": list(self.parts),
                "result": self.result, "how": self.how, "status": self.status,
                "spec": [{"name": d.name, "kind": d.kind, "file": d.file, "line": d.line}
                         for d in self.spec],
                "notes": list(self.notes)}


@dataclass(frozen=True)
class Coverage:
    """A check covering a definition: ``via`` ``tag`` (it cites the definition) or ``mention``
    (its formula names one of the definition's declarations, listed in ``names``), and its
    latest verdict (``outcome.value`` None: not run)."""
    check: SpecCheck
    via: str
    names: tuple[str, ...]
    outcome: Outcome

    def to_json(self) -> dict:
        c = self.check
        return {"name": c.name, "file": c.file, "line": c.line, "kind": c.kind, "via": self.via,
                "mentions": list(self.names), "verdict": self.outcome.value,
                "reason": self.outcome.reason, "cached": self.outcome.cached}


@dataclass(frozen=True)
class Row:
    """One definition of the document and what traces to it."""
    number: str
    kind: str
    title: str
    section: str
    line: int
    decls: tuple[SpecDecl, ...]
    matches: tuple[Match, ...]
    checks: tuple[Coverage, ...]
    problems: tuple[Problem, ...]

    @property
    def formalised(self) -> bool:
        return bool(self.decls)

    @property
    def consistent(self) -> bool:
        return self.formalised and all(m.status == "consistent" for m in self.matches) and \
            not any(p.kind == "unparsed-formula" for p in self.problems)

    @property
    def checked(self) -> bool:
        return bool(self.checks)

    @property
    def proved(self) -> bool:
        return self.checked and all(c.outcome.holds for c in self.checks)

    @property
    def status(self) -> str:
        """``ok``, or the kind of the worst problem."""
        if not self.problems:
            return "ok"
        return min(self.problems, key=lambda p: _ORDER.get(p.kind, 99)).kind

    def verdict_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.checks:
            key = c.outcome.value or "not run"
            out[key] = out.get(key, 0) + 1
        return out

    def to_json(self) -> dict:
        return {"number": self.number, "kind": self.kind, "title": self.title,
                "section": self.section, "line": self.line, "status": self.status,
                "formalised": self.formalised, "consistent": self.consistent,
                "checked": self.checked, "proved": self.proved,
                "declarations": [{"name": d.name, "kind": d.kind, "file": d.file, "line": d.line,
                                  "shape": d.shape()} for d in self.decls],
                "comparisons": [m.to_json() for m in self.matches],
                "checks": [c.to_json() for c in self.checks],
                "verdicts": self.verdict_counts(),
                "problems": [p.to_json() for p in self.problems]}


@dataclass
class TraceReport:
    """The traceability matrix of a document against spec files.

    ``rows`` one per numbered definition, in document order; ``problems`` every problem (the
    rows' and those outside any row: document problems, tags citing unknown definitions);
    ``spec_args`` the files and folders as given, ``spec_files`` every spec file they hold;
    ``diagnostics`` the spec files' errors and warnings; ``verdicts`` ``"run"`` (checked now,
    through the result cache unless disabled) or ``"cache"`` (``--no-check``)."""
    document: str
    spec_files: list[str]
    spec_args: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    diagnostics: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)
    verdicts: str = "run"
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {"definitions": len(self.rows),
                "formalised": sum(r.formalised for r in self.rows),
                "consistent": sum(r.consistent for r in self.rows),
                "checked": sum(r.checked for r in self.rows),
                "proved": sum(r.proved for r in self.rows),
                "checks": len({(c.check.file, c.check.name) for r in self.rows for c in r.checks}),
                "problems": len(self.problems)}

    def problem_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def exit_code(self, require_all: bool = False) -> int:
        """0, or 1 when ``require_all`` and there is a problem; 2 when a spec has errors."""
        if any(d.is_error for d in self.diagnostics):
            return 2
        return 1 if require_all and self.problems else 0

    def to_json(self) -> dict:
        return {"schema": "formalc-trace", "version": 1, "document": self.document,
                "spec_args": list(self.spec_args), "specs": list(self.spec_files),
                "verdicts": self.verdicts,
                "summary": self.counts(), "problem_counts": self.problem_counts(),
                "definitions": [r.to_json() for r in self.rows],
                "problems": [p.to_json() for p in self.problems],
                "diagnostics": [d.to_json() for d in self.diagnostics]}


def _number_key(number: str | None):
    if number is None:
        return (1, ())
    try:
        return (0, tuple(int(x) for x in number.split(".")))
    except ValueError:
        return (0, (10**9,))
