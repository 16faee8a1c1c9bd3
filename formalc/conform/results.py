"""What a conformance run produces: the options it ran with, each step, each finding (a
difference on a shortest or shrunk trace) and the report with its figures."""
from __future__ import annotations

from dataclasses import dataclass, field

from .adapter import Outcome

#: The kinds of findings, with what each one means.
KINDS = {
    "initial": "after reset, the implementation is not in an initial state of the spec",
    "accepted": "the implementation accepted an event the spec refuses",
    "refused": "the implementation refused an event the spec accepts",
    "state": "after an accepted event, the implementation is in a state δ does not lead to",
    "unchanged": "the implementation refused an event but its state changed",
    "invariant": "an observed state breaks an invariant of the spec",
    "crash": "the adapter raised an error that is not a refusal",
}


@dataclass(frozen=True)
class Options:
    """How one conformance run is generated and observed."""
    examples: int = 100
    steps: int = 20
    poll_timeout: float | None = None  # None: the adapter's own, else 0 (observe once)
    poll_interval: float = 0.002
    max_findings: int = 20
    all_differences: bool = True
    shrink_seconds: float = 60.0  # time Hypothesis may spend shrinking one finding
    events: tuple[str, ...] | None = None  # restrict the events exercised


@dataclass(frozen=True)
class Step:
    """One step of a run: the initial observation (``event`` None) or an event."""
    event: str | None
    before: str                 # the observed state before (the spec's name)
    expected: str               # "accepted → Running", "refused", "Created"
    outcome: Outcome | None     # what the implementation said
    observed: str               # the observed state after (raw name if not a spec state)
    polls: int = 1

    def line(self) -> str:
        if self.event is None:
            return f"reset → {self.observed} (spec: {self.expected})"
        return (f"{self.event} in {self.before}: {self.outcome} → {self.observed} "
                f"(spec: {self.expected})")


@dataclass(frozen=True)
class Finding:
    """One difference between the spec and the implementation, on a shortest trace."""
    kind: str
    event: str | None
    before: str
    expected: str
    observed: str
    detail: str
    steps: tuple[Step, ...]
    key: tuple = field(compare=False, default=())
    seed: int | None = None
    flaky: bool = False
    found_by: str = "hypothesis"  # or "tour": a shortest spec path, then the event

    @property
    def trace(self) -> tuple[str, ...]:
        """The events from reset up to and including the failing one."""
        return tuple(s.event for s in self.steps if s.event is not None)

    def summary(self) -> str:
        ev = f"`{self.event}`" if self.event else ""
        if self.kind == "initial":
            return f"starts in {self.observed}; the spec starts in {self.expected}"
        if self.kind == "accepted":
            return (f"accepts {ev} in {self.before} (→ {self.observed}); the spec refuses it "
                    "there")
        if self.kind == "refused":
            why = f" ({self.detail})" if self.detail else ""
            return f"refuses {ev} in {self.before}{why}; the spec accepts it ({self.expected})"
        if self.kind == "state":
            return (f"{ev} in {self.before} leads to {self.observed}; the spec leads to "
                    f"{self.expected}")
        if self.kind == "unchanged":
            return (f"refuses {ev} in {self.before} but moves to {self.observed}; a refusal "
                    "must leave the state unchanged")
        if self.kind == "invariant":
            return f"in {self.observed}: {self.detail}"
        return f"{ev} in {self.before} raised {self.detail}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "event": self.event, "before": self.before,
                "expected": self.expected, "observed": self.observed, "detail": self.detail,
                "summary": self.summary(), "trace": list(self.trace), "seed": self.seed,
                "flaky": self.flaky, "found_by": self.found_by,
                "steps": [{"event": s.event, "before": s.before, "expected": s.expected,
                           "accepted": None if s.outcome is None else s.outcome.accepted,
                           "detail": None if s.outcome is None else s.outcome.detail,
                           "observed": s.observed} for s in self.steps]}


class Mismatch(AssertionError):
    """Raised inside a generated run; carries the :class:`Finding`."""

    def __init__(self, finding: Finding):
        super().__init__(f"{finding.kind}: {finding.summary()}")
        self.finding = finding



@dataclass
class ConformanceReport:
    """The outcome of :func:`conform`: findings (each a shortest trace) and figures."""
    spec_file: str
    machine: str
    adapter: str
    seed: int
    options: Options
    findings: list[Finding]
    events: tuple[str, ...]
    not_exercised: tuple[str, ...]
    examples: int = 0
    steps: int = 0
    polls: int = 0
    rounds: int = 0
    seconds: float = 0.0
    runtime_seconds: float | None = None
    setup: str | None = None
    complete: bool = True  # False: stopped at max_findings, more may exist
    tour_cases: int = 0
    tour_complete: bool = True
    internal_moves: int = 0  # observations only internal events explain (e.g. exits)
    tour_runs: int = 0
    tour_reached: int = 0    # tour cases whose run reached the state the case aims at
    dead_runs: int = 0       # runs ended early at a known difference the spec cannot follow
    unevaluated: tuple[str, ...] = ()   # invariants that could not be evaluated
    unchecked: tuple[tuple[str, str], ...] = ()   # machine properties a run cannot check
    events_chosen: bool = False  # the caller chose the events (not_exercised is by design)
    command: str | None = None   # the command line that reproduces the run (set by the CLI)

    @property
    def ok(self) -> bool:
        """No difference found, and the run tested something: ``passed`` or ``partial``."""
        return self.verdict in ("passed", "partial")

    @property
    def verdict(self) -> str:
        """``violated`` (findings), ``unknown`` (nothing was really tested, or an invariant
        could not be evaluated: see :attr:`reason`), ``partial`` (no difference, but some
        command events of the machine were not exercised) or ``passed``."""
        if self.findings:
            return "violated"
        if self.reason:
            return "unknown"
        if self.not_exercised and not self.events_chosen:
            return "partial"
        return "passed"

    @property
    def reason(self) -> str | None:
        """Why the verdict is unknown, or None."""
        runs = self.examples + self.tour_runs
        if runs == 0:
            return "no trace was run"
        if self.dead_runs >= runs:
            return (f"every run ({runs}) ended at a known difference the spec cannot follow, "
                    "so nothing after it was compared")
        if self.steps == 0:
            return "no event was applied"
        if self.unevaluated:
            return ("invariant(s) could not be evaluated in a state met: "
                    + ", ".join(f"`{n}`" for n in self.unevaluated))
        return None

    @property
    def overhead(self) -> float | None:
        """The engine's own time as a fraction of the implementation's."""
        if not self.runtime_seconds:
            return None
        return max(self.seconds - self.runtime_seconds, 0.0) / self.runtime_seconds

    def to_json(self) -> dict:
        from .report import transcript
        return {"spec": self.spec_file, "machine": self.machine, "adapter": self.adapter,
                "verdict": self.verdict, "seed": self.seed,
                "examples": self.examples, "steps": self.steps, "polls": self.polls,
                "rounds": self.rounds, "complete": self.complete,
                "tour_cases": self.tour_cases, "tour_complete": self.tour_complete,
                "internal_moves": self.internal_moves, "tour_runs": self.tour_runs,
                "tour_reached": self.tour_reached, "dead_runs": self.dead_runs,
                "reason": self.reason, "unevaluated": list(self.unevaluated),
                "unchecked": [{"check": n, "why": w} for n, w in self.unchecked],
                "events": list(self.events), "not_exercised": list(self.not_exercised),
                "seconds": round(self.seconds, 3),
                "runtime_seconds": None if self.runtime_seconds is None
                else round(self.runtime_seconds, 3),
                "overhead": None if self.overhead is None else round(self.overhead, 4),
                "findings": [dict(f.to_json(), transcript=transcript(self, f))
                             for f in self.findings]}

    def to_text(self) -> str:
        from .report import render_text
        return render_text(self)


