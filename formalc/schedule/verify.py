"""Verification questions about placements: does a placement satisfy the spec, does every set
of k node failures leave a re-placement, does scaling a service stay feasible.

Verdicts are ``"proved"``, ``"violated"`` (with the counterexample: the failed nodes, the
stranded services and an :class:`~formalc.schedule.result.Explanation` of why they cannot be
re-placed) or ``"unknown"`` (some sub-check ran out of time — never reported as proved). Every
placement shown has been re-checked by the independent evaluator.

>>> report = failover(problem, k=1, placement=placement)        # doctest: +SKIP
>>> report.verdict, report.counterexample.failed                  # doctest: +SKIP
('violated', ('e2',))
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

from .evaluate import evaluate
from .explain import explain_infeasible
from .feasible import SAT, UNSAT, Deadline, find_placement
from .problem import Loc, Problem, Requirement
from .result import Explanation, Reason

PROVED, VIOLATED, UNKNOWN = "proved", "violated", "unknown"
MODES = ("stranded", "replan")


def explanation_json(e: Explanation | None) -> dict | None:
    """An :class:`Explanation` as plain JSON data (None stays None)."""
    return None if e is None else e.to_json()


# ---------------------------------------------------------------------------------- results
@dataclass
class PlacementCheck:
    """Whether a placement satisfies every hard constraint; ``violations`` in words."""
    holds: bool
    violations: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"holds": self.holds, "violations": list(self.violations)}


@dataclass
class Move:
    """One replica moved (``from_node`` None: a new replica, when scaling up)."""
    service: str
    from_node: str | None
    to_node: str

    def __str__(self) -> str:
        return f"{self.service}: {self.from_node or 'new'} → {self.to_node}"

    def to_json(self) -> dict:
        return {"service": self.service, "from": self.from_node, "to": self.to_node}


@dataclass
class FailoverCase:
    """The outcome for one set of failed nodes: ``survives`` (with the moves and the new
    placement), ``fails`` (with the explanation) or ``unknown`` (with the reason)."""
    failed: tuple[str, ...]
    outcome: str                                   # survives | fails | unknown
    stranded: list[str] = field(default_factory=list)     # services with a replica there
    moves: list[Move] = field(default_factory=list)
    placement: dict[str, list[str]] | None = None
    explanation: Explanation | None = None
    reason: str = ""

    @property
    def survives(self) -> bool | None:
        return {"survives": True, "fails": False}.get(self.outcome)

    def describe(self) -> str:
        lost = " and ".join(self.failed) + " down"
        if self.outcome == "survives":
            moved = ", ".join(map(str, self.moves)) or "nothing to move"
            return f"{lost}: survives ({moved})"
        if self.outcome == "unknown":
            return f"{lost}: unknown — {self.reason}"
        why = "; ".join(r.message for r in (self.explanation.reasons if self.explanation
                                             else []))
        if not self.failed:
            return "before any failure: " + (why or "no valid placement")
        who = ", ".join(self.stranded) or "the services"
        return f"{lost}: {who} cannot be re-placed" + (f": {why}" if why else "")

    def to_json(self) -> dict:
        return {"failed": list(self.failed), "outcome": self.outcome,
                "stranded": list(self.stranded), "moves": [m.to_json() for m in self.moves],
                "placement": self.placement, "explanation": explanation_json(self.explanation),
                "reason": self.reason}


@dataclass
class FailoverReport:
    """Every set of ``k`` failed nodes (``total`` of them; ``checked`` decided or tried)."""
    verdict: str
    mode: str
    k: int
    total: int
    checked: int = 0
    cases: list[FailoverCase] = field(default_factory=list)
    counterexample: FailoverCase | None = None
    placement: dict[str, list[str]] | None = None       # the placement before any failure
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> str:
        sets = f"{self.total} failure set{'s' if self.total != 1 else ''} of {self.k} node" \
               f"{'s' if self.k != 1 else ''}"
        if self.verdict == PROVED:
            return f"proved: the placement survives each of the {sets} ({self.mode})"
        if self.verdict == VIOLATED and self.counterexample is not None:
            return f"violated: {self.counterexample.describe()}"
        return f"unknown: {self.reason}"

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "mode": self.mode, "k": self.k, "total": self.total,
                "checked": self.checked, "placement": self.placement,
                "counterexample": self.counterexample.to_json() if self.counterexample
                else None, "cases": [c.to_json() for c in self.cases],
                "reason": self.reason, "notes": list(self.notes),
                "elapsed": round(self.elapsed, 3)}


@dataclass
class ScalingReport:
    """Whether ``service`` can go from ``before`` to ``after`` replicas."""
    verdict: str
    service: str
    before: int
    after: int
    mode: str
    placement: dict[str, list[str]] | None = None
    moves: list[Move] = field(default_factory=list)      # new replicas have no from_node
    explanation: Explanation | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "service": self.service, "before": self.before,
                "after": self.after, "mode": self.mode, "placement": self.placement,
                "moves": [m.to_json() for m in self.moves],
                "explanation": explanation_json(self.explanation), "reason": self.reason,
                "notes": list(self.notes), "elapsed": round(self.elapsed, 3)}


# ---------------------------------------------------------------------------------- checks
def check_placement(problem: Problem, placement) -> PlacementCheck:
    """Does ``placement`` (per service, a tuple of node indices) satisfy every hard
    constraint? The independent evaluator decides; its violations come back in words."""
    ev = evaluate(problem, placement)
    return PlacementCheck(ev.valid, [v.message for v in ev.violations])


def _baseline(problem: Problem, placement, dl: Deadline, notes: list[str]):
    """``(placement | None, failure case | None, reason)``: the placement to start from."""
    if placement is not None:
        chk = check_placement(problem, placement)
        if chk.holds:
            return tuple(tuple(w) for w in placement), None, ""
        exp = Explanation([Reason(v) for v in chk.violations])
        return None, FailoverCase((), "fails", explanation=exp), "the given placement is not valid"
    st, found = find_placement(problem, time_limit=dl.share(0.3))
    if st == SAT:
        notes.append("no placement was given: checked against one found by the feasibility "
                     "search")
        return found, None, ""
    if st == UNSAT:
        exp = explain_infeasible(problem, dl.share(0.5), known_infeasible=True)
        return None, FailoverCase((), "fails", explanation=exp,
                                  stranded=[s.name for s in problem.services]), \
            "the problem has no placement even with every node up"
    return None, None, "no placement was found in time to start from"


def _moves(problem: Problem, before, after) -> list[Move]:
    """Replicas that left a node paired with the replicas that arrived, per service."""
    out = []
    for i, s in enumerate(problem.services):
        old, new = Counter(before[i]) if before else Counter(), Counter(after[i])
        gone, came = sorted((old - new).elements()), sorted((new - old).elements())
        for k, to in enumerate(came):
            frm = problem.nodes[gone[k]].name if k < len(gone) else None
            out.append(Move(s.name, frm, problem.nodes[to].name))
    return out


def failover(problem: Problem, k: int = 1, *, placement=None, mode: str = "stranded",
             time_limit: float = 30.0) -> FailoverReport:
    """For every set of ``k`` failed nodes, is there a re-placement on the nodes left?

    ``mode="stranded"``: replicas on surviving nodes stay; only those on failed nodes move.
    ``mode="replan"``: any placement of everything on the surviving nodes will do.
    Without ``placement``, one is found first (and the report notes it).
    """
    if mode not in MODES:
        raise ValueError(f"failover mode must be one of {', '.join(MODES)}, not {mode!r}")
    t0, dl = time.monotonic(), Deadline(time_limit)
    n = problem.n_nodes
    if not isinstance(k, int) or k < 0 or k > n:
        return FailoverReport(UNKNOWN, mode, k, 0, reason=f"k={k!r} failed nodes is not a "
                              f"question about {n} node{'s' if n != 1 else ''}")
    report = FailoverReport(UNKNOWN, mode, k, comb(n, k))
    base, broken, why = _baseline(problem, placement, dl, report.notes)
    if base is None:
        report.reason = why
        if broken is not None:
            report.verdict, report.counterexample = VIOLATED, broken
            report.cases.append(broken)
        report.elapsed = time.monotonic() - t0
        return report
    report.placement = problem.named(base)
    found: list[tuple] = [base] if mode == "replan" else []
    undecided = 0
    for done, gone in enumerate(combinations(range(n), k)):
        if dl.expired():
            report.reason = f"time ran out after {done} of {report.total} failure sets"
            undecided += 1
            break
        budget = dl.left() / (report.total - done)
        case = _one_failure(problem, base, gone, mode, budget, found)
        report.cases.append(case)
        report.checked += 1
        if case.outcome == "fails" and report.counterexample is None:
            report.counterexample = case
        if case.outcome == "unknown":
            undecided += 1
            report.reason = report.reason or f"{case.describe()}"
    if report.counterexample is not None:
        report.verdict = VIOLATED
    elif not undecided:
        report.verdict = PROVED
    report.elapsed = time.monotonic() - t0
    return report


def _one_failure(problem: Problem, base, gone, mode: str, budget: float, found) -> FailoverCase:
    failed = tuple(problem.nodes[j].name for j in gone)
    lost = set(gone)
    stranded = [s.name for i, s in enumerate(problem.services) if lost & set(base[i])]
    if mode == "replan":
        for pl in found:                   # a known placement that avoids every failed node
            if not any(lost & set(w) for w in pl):
                return FailoverCase(failed, "survives", stranded, _moves(problem, base, pl),
                                    problem.named(pl))
    elif not stranded:
        return FailoverCase(failed, "survives", [], [], problem.named(base))
    keep = [j for j in range(problem.n_nodes) if j not in lost]
    to_sub = {j: t for t, j in enumerate(keep)}
    sub = problem.without_nodes(list(gone))
    fixed = None
    if mode == "stranded":
        fixed = {i: tuple(to_sub[j] for j in w if j not in lost) for i, w in enumerate(base)}
    dl = Deadline(budget)
    st, pl = find_placement(sub, fixed=fixed, time_limit=dl.share(0.5))
    if st == SAT:
        full = tuple(tuple(sorted(keep[t] for t in w)) for w in pl)
        found.append(full)
        return FailoverCase(failed, "survives", stranded, _moves(problem, base, full),
                            problem.named(full))
    if st == UNSAT:
        exp = explain_infeasible(sub, dl.left(), fixed=fixed, known_infeasible=True)
        if exp is not None:
            return FailoverCase(failed, "fails", stranded, explanation=exp)
    return FailoverCase(failed, "unknown", stranded,
                        reason=f"no re-placement found within {budget:.2g}s and none proved "
                               f"impossible")


def scaling(problem: Problem, service_index: int, m: int, *, placement=None,
            mode: str | None = None, time_limit: float = 10.0) -> ScalingReport:
    """Does the problem stay feasible when service ``service_index`` runs ``m`` replicas?

    ``mode="stranded"`` (the default when a placement is given): every existing replica
    stays, new ones are added (scaling down keeps ``m`` of the existing ones).
    ``mode="replan"``: any placement of the scaled problem will do.
    """
    t0, dl = time.monotonic(), Deadline(time_limit)
    mode = mode or ("stranded" if placement is not None else "replan")
    if mode not in MODES:
        raise ValueError(f"scaling mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not (isinstance(service_index, int) and 0 <= service_index < problem.n_services):
        return ScalingReport(UNKNOWN, f"#{service_index}", 0, m, mode,
                             reason=f"there is no service #{service_index}")
    i, s = service_index, problem.services[service_index]
    rep = ScalingReport(UNKNOWN, s.name, s.replicas, m, mode)

    def done(verdict, reason=""):
        rep.verdict, rep.reason, rep.elapsed = verdict, reason, time.monotonic() - t0
        return rep

    if not isinstance(m, int) or m < 0:
        return done(UNKNOWN, f"{m!r} is not a number of replicas")
    scaled = problem.with_replicas({i: m})
    fixed = None
    if mode == "stranded":
        base, broken, why = _baseline(problem, placement, dl, rep.notes)
        if base is None:
            rep.explanation = broken.explanation if broken else None
            return done(VIOLATED if broken else UNKNOWN, why)
        fixed = {o: w for o, w in enumerate(base) if o != i}
        if m >= len(base[i]):
            fixed[i] = base[i]
        else:
            scaled = _only_on(scaled, i, set(base[i]))
    else:
        base = tuple(tuple(w) for w in placement) if placement is not None else None
    st, pl = find_placement(scaled, fixed=fixed, time_limit=dl.share(0.5))
    if st == SAT:
        rep.placement = scaled.named(pl)
        rep.moves = _moves(scaled, base, pl) if base is not None else []
        return done(PROVED)
    if st == UNSAT:
        rep.explanation = explain_infeasible(scaled, dl.left(), fixed=fixed,
                                             known_infeasible=True)
        if rep.explanation is not None:
            return done(VIOLATED)
    return done(UNKNOWN, f"no placement with {m} replicas of {s.name} found within "
                         f"{time_limit:g}s and none proved impossible")


def _only_on(p: Problem, i: int, nodes: set[int]) -> Problem:
    """``p`` where service ``i`` may only use ``nodes`` (scaling down keeps replicas put)."""
    r = len(p.requirements)
    req = Requirement(f"{p.services[i].name} keeps its existing replicas",
                      Loc(text="scaling down removes replicas, it does not move them"))
    blocked = [list(row) for row in p.blocked]
    for j in range(p.n_nodes):
        if j not in nodes:
            blocked[i][j] = blocked[i][j] | {r}
    return Problem(p.name, p.dims, p.nodes, p.services, p.requirements + [req], blocked,
                   p.affinities, p.costs, p.objective, p.loc)
