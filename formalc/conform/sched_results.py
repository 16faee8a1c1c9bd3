"""Scheduler conformance results: what happened on each instance (:class:`Outcome`, the
broken constraints as :class:`Broken`), the judged rows, the shrunk findings and the report
with its totals and JSON. The text rendering is :mod:`formalc.conform.sched_report`."""
from __future__ import annotations

import enum
import math
import statistics
from dataclasses import dataclass, field
from fractions import Fraction

from ..schedule.problem import Problem


class Outcome(str, enum.Enum):
    """What happened on one instance, worst first. The first three are findings."""
    VIOLATION = "violation"                  # the placement breaks a hard constraint
    CRASHED = "crashed"                      # the scheduler raised an unexpected exception
    REFUSED_FEASIBLE = "refused-feasible"    # it refused; formalc found a placement
    UNDECIDED = "undecided"                  # it refused; formalc could not decide in time
    REFUSED_INFEASIBLE = "refused-infeasible"  # it refused; formalc proves none exists
    VALID = "valid"                          # every hard constraint holds

    @property
    def finding(self) -> bool:
        return self in (Outcome.VIOLATION, Outcome.CRASHED, Outcome.REFUSED_FEASIBLE)


@dataclass(frozen=True)
class Broken:
    """One violated hard constraint. ``constraint`` names it (``capacity cpu on n1``);
    ``kind`` is replicas / spread / requirement / capacity / near / apart / shape; ``rule`` is
    the requirement's or affinity rule's name, ``dim`` the resource dimension."""
    kind: str
    constraint: str
    message: str
    service: str | None = None
    node: str | None = None
    dim: str | None = None
    rule: str | None = None

    @property
    def group(self) -> str:
        """The constraint without the instance's names: ``capacity cpu``, ``requirement trust``,
        ``spread`` — what the summary counts."""
        return f"{self.kind} {self.dim or self.rule}" if (self.dim or self.rule) else self.kind

    def to_json(self) -> dict:
        return {"kind": self.kind, "constraint": self.constraint, "message": self.message,
                "service": self.service, "node": self.node, "dim": self.dim, "rule": self.rule}



@dataclass
class SchedulerRow:
    """One instance: what the scheduler did, what the evaluator says, what formalc found.

    ``ratio`` is the scheduler's first objective level over formalc's (``math.inf`` when
    formalc's is 0 and the scheduler's is not); ``ratio_bound`` the scheduler's over formalc's
    proven lower bound — the largest the true ratio can be when the optimum is not proved."""
    index: int
    problem: Problem
    outcome: Outcome
    source: str = "generated"                 # generated | given | shrunk
    violations: list[Broken] = field(default_factory=list)
    detail: str = ""                          # the refusal's or the crash's message
    placement: tuple | None = None
    levels: list[Fraction] = field(default_factory=list)
    status: str | None = None                 # formalc: optimal/feasible/infeasible/unknown
    optimum: list[Fraction] = field(default_factory=list)
    bound: Fraction | None = None
    formalc_placement: tuple | None = None
    ratio: Fraction | float | None = None
    ratio_bound: Fraction | float | None = None
    notes: list[str] = field(default_factory=list)
    scheduler_s: float = 0.0
    check_s: float = 0.0
    optimum_s: float = 0.0

    @property
    def proven(self) -> bool:
        return self.status == "optimal"

    def size(self) -> str:
        """``services×nodes (replicas)``."""
        p, r = self.problem, self.problem.placements_count()
        return f"{p.n_services}×{p.n_nodes} ({r} replica{'s' if r != 1 else ''})"

    def to_json(self) -> dict:
        p = self.problem
        return {
            "index": self.index, "source": self.source, "problem": p.name,
            "size": {"services": p.n_services, "replicas": p.placements_count(),
                     "nodes": p.n_nodes},
            "outcome": self.outcome.value, "finding": self.outcome.finding,
            "violations": [b.to_json() for b in self.violations], "detail": self.detail or None,
            "placement": None if self.placement is None else _named(p, self.placement),
            "cost": [_exact(x) for x in self.levels],
            "formalc": {"status": self.status, "optimum": [_exact(x) for x in self.optimum],
                        "bound": _exact(self.bound),
                        "placement": None if self.formalc_placement is None
                        else _named(p, self.formalc_placement)},
            "ratio": _exact(self.ratio), "ratio_bound": _exact(self.ratio_bound),
            "notes": list(self.notes),
            "seconds": {"scheduler": round(self.scheduler_s, 6), "check": round(self.check_s, 6),
                        "formalc": round(self.optimum_s, 4)}}


@dataclass
class Shrunk:
    """The smallest instance Hypothesis found for one kind of finding (``target``:
    ``violation capacity``, ``crashed ValueError``, ``refused-feasible``), fully judged, and a
    Python program that replays it. When ``shrunk`` is False, ``note`` says why the instance
    is shown as it was (given, not from a strategy; shrinking off; not found again)."""
    target: str
    row: SchedulerRow
    transcript: str
    shrunk: bool = True
    tried: int = 0
    note: str = ""

    def to_json(self) -> dict:
        return {"target": self.target, "shrunk": self.shrunk, "tried": self.tried,
                "note": self.note or None,
                "instance": self.row.to_json(), "transcript": self.transcript}


@dataclass
class SchedulerReport:
    """Every instance's row, the shrunk findings, and the totals. ``exit_code``: 0 no finding,
    1 a finding, 3 no finding but a refusal formalc could not judge (or a disagreement with
    formalc, see ``notes``)."""
    scheduler: str
    rows: list[SchedulerRow]
    smallest: list[Shrunk] = field(default_factory=list)
    seed: int | None = None
    view: str = "plain"
    time_limit: float = 0.0
    wall_s: float = 0.0
    duplicates: int = 0                       # drawn instances equal to an earlier one

    @property
    def findings(self) -> list[SchedulerRow]:
        return [r for r in self.rows if r.outcome.finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def disagreements(self) -> list[SchedulerRow]:
        return [r for r in self.rows if any(n.startswith("formalc disagrees") for n in r.notes)]

    @property
    def exit_code(self) -> int:
        if self.findings:
            return 1
        if self.disagreements or any(r.outcome is Outcome.UNDECIDED for r in self.rows):
            return 3
        return 0

    def ratios(self) -> list[Fraction | float]:
        return [r.ratio for r in self.rows if r.ratio is not None]

    def summary(self) -> dict:
        counts = {o.value: sum(1 for r in self.rows if r.outcome is o) for o in Outcome}
        broken: dict[str, int] = {}
        for r in self.rows:
            for g in {b.group for b in r.violations}:
                broken[g] = broken.get(g, 0) + 1
        broken = dict(sorted(broken.items(), key=lambda kv: (-kv[1], kv[0])))
        ratios = [float(x) for x in self.ratios()]
        proven = [float(r.ratio) for r in self.rows if r.ratio is not None and r.proven]
        sched = sum(r.scheduler_s for r in self.rows)
        check = sum(r.check_s for r in self.rows)
        opt = sum(r.optimum_s for r in self.rows)
        n = len(self.rows)
        return {
            "instances": n, "duplicates_dropped": self.duplicates, "outcomes": counts,
            "findings": len(self.findings),
            "violated_constraints": broken,
            "ratio": {"count": len(ratios), "proven": len(proven),
                      "median": statistics.median(ratios) if ratios else None,
                      "max": max(ratios) if ratios else None,
                      "median_proven": statistics.median(proven) if proven else None,
                      "max_proven": max(proven) if proven else None},
            "optima_proven": sum(1 for r in self.rows if r.proven),
            "infeasible": sum(1 for r in self.rows if r.status == "infeasible"),
            "disagreements": len(self.disagreements),
            "seconds": {"scheduler": round(sched, 4), "check": round(check, 4),
                        "formalc": round(opt, 3), "wall": round(self.wall_s, 3)},
            "instances_per_s": round(n / self.wall_s, 2) if self.wall_s else None,
            "checked_per_s": round(n / (sched + check), 1) if sched + check else None}

    def to_json(self) -> dict:
        """The whole report as plain JSON data (exact rationals as ``{"value", "exact"}``)."""
        return {"schema": "formalc-conform-scheduler/1", "scheduler": self.scheduler,
                "view": self.view, "seed": self.seed, "time_limit": self.time_limit,
                "exit_code": self.exit_code, "summary": self.summary(),
                "instances": [r.to_json() for r in self.rows],
                "smallest": [s.to_json() for s in self.smallest]}

    def to_text(self, *, all_rows: bool = True) -> str:
        """The human report: a verdict line, the counts, the cost ratios, one line per
        instance (``all_rows=False``: findings only), then each shrunk finding with its
        transcript."""
        from .sched_report import text_lines     # the renderer imports this module's types
        return "\n".join(text_lines(self, all_rows)) + "\n"


def _exact(x):
    if x is None:
        return None
    if isinstance(x, float) and math.isinf(x):
        return {"value": None, "exact": "inf"}
    x = Fraction(x)
    return {"value": float(x), "exact": str(x)}


def _named(p: Problem, placement) -> dict[str, list[str]]:
    return p.named(placement)

