"""The independent evaluator: every placement an engine returns is re-checked here, in exact
arithmetic and without Z3, before anyone sees it.

It shares nothing with the engines but :class:`~formalc.schedule.problem.Problem`: it recounts
replicas, loads and every objective term from the placement alone, so an encoding bug in an
engine shows up as a violation or a mismatched objective instead of a wrong answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .problem import Linear, Problem, Term


@dataclass(frozen=True)
class Violation:
    kind: str              # replicas | distinct | requirement | capacity | near | apart | shape
    message: str
    service: str | None = None
    node: str | None = None


@dataclass
class Evaluation:
    valid: bool
    violations: list[Violation]
    loads: list[list[Fraction]]                       # [node][dim]
    terms: dict[Term, Fraction] = field(default_factory=dict)
    levels: list[Fraction] = field(default_factory=list)   # objective value per level

    def utilisation(self, problem: Problem, j: int, d: int) -> Fraction:
        cap = problem.nodes[j].cap[d]
        return self.loads[j][d] / cap if cap else Fraction(0)


def term_value(problem: Problem, placement, loads, term: Term) -> Fraction:
    if term.kind == "cost":
        table = problem.costs[term.name].table
        return sum((table[i][j] for i, where in enumerate(placement) for j in where), Fraction(0))
    if term.kind == "peak":
        dims = term.dims or tuple(range(len(problem.dims)))
        best = Fraction(0)
        for j, n in enumerate(problem.nodes):
            for d in dims:
                if n.cap[d] > 0:
                    best = max(best, loads[j][d] / n.cap[d])
                elif loads[j][d] > 0:
                    best = max(best, Fraction(10**9))   # load on a zero capacity: invalid anyway
        return best
    if term.kind == "nodes":
        return Fraction(sum(1 for j in range(problem.n_nodes)
                            if any(j in where for where in placement)))
    raise ValueError(f"unknown term kind {term.kind!r}")


def level_value(lin: Linear, values: dict[Term, Fraction]) -> Fraction:
    return lin.const + sum((c * values[t] for t, c in lin.coefs), Fraction(0))


def evaluate(problem: Problem, placement) -> Evaluation:
    """Check ``placement`` against every hard constraint and compute every objective term."""
    nd = len(problem.dims)
    loads = [[Fraction(0)] * nd for _ in problem.nodes]
    bad: list[Violation] = []
    if placement is None or len(placement) != problem.n_services:
        got = "no placement" if placement is None else f"{len(placement)} entries"
        bad.append(Violation("shape", f"a placement needs one entry per service "
                                      f"({problem.n_services}), got {got}"))
        return Evaluation(False, bad, loads)
    for s in problem.services:
        if len(s.demand) != nd:
            bad.append(Violation("shape", f"{s.name}: {len(s.demand)} demand value(s) for "
                                          f"{nd} resource dimension(s)", s.name))
    for n in problem.nodes:
        if len(n.cap) != nd:
            bad.append(Violation("shape", f"{n.name}: {len(n.cap)} capacity value(s) for "
                                          f"{nd} resource dimension(s)", node=n.name))
    if bad:
        return Evaluation(False, bad, loads)
    hosts: list[set[int]] = []
    for i, (s, where) in enumerate(zip(problem.services, placement)):
        where = tuple(where)
        hosts.append(set(where))
        if len(where) != s.replicas:
            bad.append(Violation("replicas", f"{s.name}: {len(where)} replica(s) placed, "
                                             f"{s.replicas} required", s.name))
        if s.spread and len(set(where)) != len(where):
            bad.append(Violation("distinct", f"{s.name}: two replicas on the same node", s.name))
        for j in where:
            if not (isinstance(j, int) and 0 <= j < problem.n_nodes):
                bad.append(Violation("shape", f"{s.name}: no node #{j!r}", s.name))
                continue
            n = problem.nodes[j]
            for r in sorted(problem.blocked[i][j]):
                req = problem.requirements[r]
                bad.append(Violation("requirement", f"{s.name} on {n.name} breaks requirement "
                                                    f"`{req.name}`", s.name, n.name))
            for d in range(nd):
                loads[j][d] += s.demand[d]
    for j, n in enumerate(problem.nodes):
        for d, dim in enumerate(problem.dims):
            if loads[j][d] > n.cap[d]:
                bad.append(Violation("capacity", f"{n.name}: {dim.name} {dim.fmt(loads[j][d])} "
                                                 f"placed > capacity {dim.fmt(n.cap[d])}",
                                     node=n.name))
    for rule in problem.affinities:
        for a, b in rule.pairs:
            sa, sb = problem.services[a].name, problem.services[b].name
            if rule.kind == "near":
                lonely = sorted(hosts[a] - hosts[b])
                for j in lonely:
                    if 0 <= j < problem.n_nodes:
                        bad.append(Violation("near", f"{sa} on {problem.nodes[j].name} without "
                                                     f"{sb} (rule `{rule.name}`)", sa,
                                             problem.nodes[j].name))
            else:
                for j in sorted(hosts[a] & hosts[b]):
                    if 0 <= j < problem.n_nodes:
                        bad.append(Violation("apart", f"{sa} and {sb} share "
                                                      f"{problem.nodes[j].name} (rule "
                                                      f"`{rule.name}`)", sa,
                                             problem.nodes[j].name))
    ev = Evaluation(not bad, bad, loads)
    if any(v.kind == "shape" for v in bad):
        return ev
    wanted = {t for lin in problem.objective for t in lin.terms()}
    wanted |= {Term("cost", k) for k in problem.costs}
    wanted |= {Term("peak"), Term("nodes")}
    ev.terms = {t: term_value(problem, placement, loads, t) for t in wanted}
    ev.levels = [level_value(lin, ev.terms) for lin in problem.objective]
    return ev
