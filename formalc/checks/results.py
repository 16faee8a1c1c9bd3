"""Results of checks: plain Python values, no solver objects.

A :class:`Result` has exactly one :class:`Verdict`: ``proved`` (a validity check holds),
``satisfied`` (a witness exists, and is given), ``violated`` (a counterexample, or a proof that no
witness exists) or ``unknown`` (with the reason). An unknown is never a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ..diagnostics import Diagnostic

#: Version of the JSON report schema (docs/json-report.md). Bumped on incompatible changes.
SCHEMA_VERSION = 1


class Verdict(str, Enum):
    PROVED = "proved"
    SATISFIED = "satisfied"
    VIOLATED = "violated"
    UNKNOWN = "unknown"

    @property
    def holds(self) -> bool:
        return self in (Verdict.PROVED, Verdict.SATISFIED)


@dataclass(frozen=True)
class Binding:
    """One named value of a counterexample or witness. ``value`` is a plain Python value:
    bool, int, fractions.Fraction, str, a dict (tuple fields) or a sorted list (a set)."""
    name: str
    value: object
    text: str

    def to_json(self) -> dict:
        return {"name": self.name, "value": _jsonable(self.value), "text": self.text}


@dataclass(frozen=True)
class Blame:
    """One step of the explanation of why a formula is false (or true, for a witness):
    ``depth`` 0 is the check's formula; deeper steps are the sub-formula responsible."""
    depth: int
    formula: str
    value: str
    detail: str | None = None
    location: str | None = None

    def to_json(self) -> dict:
        return {"depth": self.depth, "formula": self.formula, "value": self.value,
                "detail": self.detail, "location": self.location}


@dataclass(frozen=True)
class TraceStep:
    """One state of a machine's run. ``event`` led to it (None for the initial state), made by
    ``instance`` (``c[3]`` in a composition, else None), executing ``actions``. ``state`` holds
    every variable's plain value, in declaration order; ``changed`` names those that differ
    from the previous step; ``texts`` holds display texts where they differ from the plain
    value (quantities with units)."""
    index: int
    event: str | None
    instance: str | None
    actions: tuple[str, ...]
    state: dict
    changed: tuple[str, ...] = ()
    texts: dict = field(default_factory=dict)  # name -> how the spec writes the value (512MiB)

    def to_json(self) -> dict:
        return {"index": self.index, "event": self.event, "instance": self.instance,
                "actions": list(self.actions), "state": _jsonable(self.state),
                "changed": list(self.changed), "texts": dict(self.texts)}


@dataclass(frozen=True)
class Trace:
    """A run of a machine: a counterexample (violated) or a witness path (satisfied).

    ``loop`` makes it a lasso: after the last step the run continues at step ``loop`` forever.
    ``failed_at`` is the step where ``formula`` (the sub-formula that became false) is false.
    """
    machine: str
    steps: tuple[TraceStep, ...]
    loop: int | None = None
    failed_at: int | None = None
    formula: str | None = None

    def to_json(self) -> dict:
        return {"machine": self.machine, "steps": [s.to_json() for s in self.steps],
                "loop": self.loop, "failed_at": self.failed_at, "formula": self.formula}


@dataclass(frozen=True)
class Result:
    check: str
    file: str
    line: int
    kind: str  # "valid" or "sat"
    formula: str
    verdict: Verdict
    time_ms: float
    model: tuple[Binding, ...] = ()  # the counterexample (violated) or witness (satisfied)
    blame: tuple[Blame, ...] = ()
    reason: str | None = None  # why unknown; or, for an unsatisfiable sat check, why
    assumptions: tuple[str, ...] = ()  # assumptions the proof (or the conflict) used
    definitions: tuple[str, ...] = ()  # seed definitions the check cites
    cached: bool = False  # taken from the result cache (time_ms is the original solving time)
    values: tuple[Binding, ...] = ()  # exact values of the measured sides of a closed comparison
    trace: Trace | None = None  # machine checks: the counterexample or witness run
    method: str | None = None  # machine checks: how the verdict was reached ("k-induction, k=1")
    warnings: tuple[str, ...] = ()  # machine checks: vacuity and coverage findings
    details: tuple[str, ...] = ()  # schedule checks: the explanation, one sentence a line

    @property
    def counterexample(self) -> dict | None:
        """The counterexample as ``{name: value}``, when the verdict is violated."""
        if self.verdict is not Verdict.VIOLATED or not self.model:
            return None
        return {b.name: b.value for b in self.model}

    @property
    def witness(self) -> dict | None:
        if self.verdict is not Verdict.SATISFIED:
            return None
        return {b.name: b.value for b in self.model}

    def to_json(self) -> dict:
        return {
            "check": self.check, "file": self.file, "line": self.line, "kind": self.kind,
            "formula": self.formula, "verdict": self.verdict.value,
            "time_ms": round(self.time_ms, 3),
            "counterexample": [b.to_json() for b in self.model] if self.verdict is Verdict.VIOLATED and self.model else None,
            "witness": [b.to_json() for b in self.model] if self.verdict is Verdict.SATISFIED else None,
            "blame": [b.to_json() for b in self.blame],
            "reason": self.reason, "assumptions": list(self.assumptions),
            "definitions": list(self.definitions), "cached": self.cached,
            "values": [b.to_json() for b in self.values],
            "trace": self.trace.to_json() if self.trace is not None else None,
            "method": self.method, "warnings": list(self.warnings),
            "details": list(self.details),
        }


@dataclass
class Report:
    """Everything one run found: results of the checks that ran, and diagnostics."""
    results: list[Result] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for r in self.results:
            out[r.verdict.value] += 1
        return out

    @property
    def exit_code(self) -> int:
        """0 all checks hold, 1 a check is violated, 2 the spec has errors, 3 a check is unknown."""
        if self.errors:
            return 2
        verdicts = {r.verdict for r in self.results}
        if Verdict.VIOLATED in verdicts:
            return 1
        if Verdict.UNKNOWN in verdicts:
            return 3
        return 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def result(self, name: str) -> Result:
        """The result of the check called ``name`` (KeyError if none)."""
        for r in self.results:
            if r.check == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "schema": "formalc-report", "schema_version": SCHEMA_VERSION,
            "files": list(self.files),
            "summary": {**self.counts(), "errors": len(self.errors), "exit_code": self.exit_code},
            "results": [r.to_json() for r in self.results],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def _jsonable(v):
    from fractions import Fraction
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v
