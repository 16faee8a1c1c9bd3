"""What scheduling returns: :class:`Solution` (optimisation) and the explanation types shared
by infeasibility reports and verification counterexamples.

Statuses (never anything else, and never a pass by default):

* ``optimal`` — the placement's objective equals a proven lower bound on every level
  (``proof`` says how);
* ``feasible`` — the best placement found within the limit, with the proven lower bound and
  the gap; never presented as optimal;
* ``infeasible`` — no placement satisfies the hard constraints, with an :class:`Explanation`;
* ``unknown`` — neither a placement nor a proof of infeasibility within the limit, or an
  engine failure; ``reason`` says which.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .evaluate import Evaluation
from .problem import Loc, Problem

OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN = "optimal", "feasible", "infeasible", "unknown"


@dataclass
class Reason:
    """One sentence of an explanation, in words a person uses, and where the spec says it."""
    message: str
    locs: list[Loc] = field(default_factory=list)


@dataclass
class Relaxation:
    """A smallest change that makes the problem feasible (``kind``: drop-requirement,
    lower-replicas, add-capacity, drop-affinity, …), in words and as data."""
    message: str
    kind: str
    subject: str                     # the requirement / service / node it changes
    amount: str = ""                 # e.g. "2 → 1", "+512MiB memory on e3"
    locs: list[Loc] = field(default_factory=list)


@dataclass
class Explanation:
    reasons: list[Reason]
    relaxations: list[Relaxation] = field(default_factory=list)
    core: list[str] = field(default_factory=list)   # the constraint groups of the unsat core
    complete: bool = True            # False when the core could not be minimised in time

    def to_json(self) -> dict:
        """Plain JSON data: every reason and relaxation with its spec locations."""
        def loc(x: Loc) -> dict:
            return {"file": x.file, "line": x.line, "column": x.col, "text": x.text}
        return {"reasons": [{"message": r.message, "locations": [loc(x) for x in r.locs]}
                            for r in self.reasons],
                "relaxations": [{"message": x.message, "kind": x.kind, "subject": x.subject,
                                 "amount": x.amount, "locations": [loc(y) for y in x.locs]}
                                for x in self.relaxations],
                "core": list(self.core), "minimal": self.complete}


@dataclass
class EngineResult:
    """What an engine hands to the front end (before the independent re-check)."""
    status: str
    placement: tuple | None = None
    levels: list[Fraction] = field(default_factory=list)     # the engine's own values
    bounds: list[Fraction | None] = field(default_factory=list)   # proven lower bounds
    method: str = ""
    proof: str = ""
    reason: str = ""
    first_feasible_s: float | None = None
    history: list[tuple[float, str]] = field(default_factory=list)  # (seconds, event)
    stats: dict = field(default_factory=dict)


@dataclass
class Solution:
    problem: Problem
    status: str
    placement: tuple | None = None
    evaluation: Evaluation | None = None
    levels: list[Fraction] = field(default_factory=list)      # recomputed by the evaluator
    bounds: list[Fraction | None] = field(default_factory=list)
    method: str = ""
    proof: str = ""
    reason: str = ""
    explanation: Explanation | None = None
    elapsed: float = 0.0
    first_feasible_s: float | None = None
    history: list[tuple[float, str]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def gap(self, level: int = 0) -> Fraction | None:
        """(objective − bound) / objective on a level, or None without a bound."""
        if not self.levels or level >= len(self.levels) or level >= len(self.bounds):
            return None
        b, v = self.bounds[level], self.levels[level]
        if b is None:
            return None
        if v == 0:
            return Fraction(0)
        return max(Fraction(0), (v - b) / abs(v))
