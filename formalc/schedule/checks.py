"""Schedule properties as checks: `check name: S ⊨ feasible | failover(k) | scale(s, m) |
placed_by(plan)` decided for ``formalc check`` (verdicts as every other check has).

* ``feasible``: proved with a placement as evidence, violated with the infeasibility
  explanation;
* ``failover(k)``: proved when, for every set of k failed nodes, the services can be placed
  on the others (replanned); violated with the failed nodes, the stranded services and why;
* ``scale(s, m)``: proved when the schedule stays feasible with s at m replicas;
* ``placed_by(plan)``: proved when the independent evaluator finds the plan valid.

Anything that runs out of time is unknown with the reason, never proved.
"""
from __future__ import annotations

import time

from ..checks.results import Binding, Result, Verdict
from ..model import nodes as m
from .result import Explanation

#: The engine descriptions in results (the prefix marks a schedule result for the reports).
_FEAS = "schedule: feasibility search (greedy, then Z3 with an unsat core)"


def _result(c: m.Check, text: str, start: float, verdict: Verdict, method: str, *,
            reason=None, model=(), details=()) -> Result:
    return Result(check=c.name, file=c.span.file if c.span else "", line=c.span.line if c.span
                  else 0, kind=c.kind, formula=text, verdict=verdict,
                  time_ms=(time.perf_counter() - start) * 1000, reason=reason,
                  model=tuple(model), definitions=c.annotations.defs, method=method,
                  details=tuple(details))


def explanation_details(why: Explanation | None) -> list[str]:
    if why is None:
        return []
    out = []
    for r in why.reasons:
        where = ", ".join(l.where() for l in r.locs if l.where())
        out.append(f"- {r.message}" + (f"  [{where}]" if where else ""))
    if not why.complete:
        out.append("(the core was not minimised in time: it may say more than is needed)")
    if why.relaxations:
        out.append("smallest relaxations that make it feasible:")
        out.extend(f"  - {x.message}" for x in why.relaxations)
    return out


def check_schedule(spec: m.Spec, c: m.Check, timeout_ms: int, text: str) -> Result:
    from .lower import lower_property
    start = time.perf_counter()
    limit = max(0.5, timeout_ms / 1000)
    prop: m.ScheduleProp = c.formula  # type: ignore[assignment]
    task, diags = lower_property(spec, prop)
    if task is None:
        why = "; ".join(f"{d.code}: {d.message}" for d in diags) or "it could not be lowered"
        return _result(c, text, start, Verdict.UNKNOWN, "schedule: none",
                       reason=f"the schedule `{prop.schedule}` cannot be solved: {why}")
    p = task.problem
    if task.kind == "feasible":
        from .explain import explain_infeasible
        from .feasible import find_placement
        status, placement = find_placement(p, time_limit=limit)
        if status == "sat":
            shown = ", ".join(f"{s} → {'+'.join(ns)}" for s, ns in
                              list(p.named(placement).items())[:4])
            more = f", … ({p.n_services} services)" if p.n_services > 4 else ""
            return _result(c, text, start, Verdict.PROVED, _FEAS,
                           details=[f"a placement: {shown}{more}"])
        if status == "unsat":
            why = explain_infeasible(p, time_limit=max(1.0, limit - (time.perf_counter() -
                                                                      start)))
            return _result(c, text, start, Verdict.VIOLATED, _FEAS,
                           reason="no placement satisfies every hard constraint",
                           details=explanation_details(why))
        return _result(c, text, start, Verdict.UNKNOWN, _FEAS,
                       reason=f"no placement and no proof of infeasibility within {limit:g} s")
    if task.kind == "failover":
        from .verify import failover
        rep = failover(p, task.k, mode="replan", time_limit=limit)
        method = (f"schedule: replanning after each of the {rep.total} failure sets of "
                  f"{task.k} node{'s' if task.k != 1 else ''} ({rep.checked} decided)")
        if rep.verdict == "proved":
            return _result(c, text, start, Verdict.PROVED, method)
        if rep.verdict == "violated" and rep.counterexample is not None:
            ce = rep.counterexample
            model = [Binding("failed", list(ce.failed), ", ".join(ce.failed)),
                     Binding("stranded", list(ce.stranded), ", ".join(ce.stranded) or "—")]
            return _result(c, text, start, Verdict.VIOLATED, method,
                           reason=f"after {' and '.join(ce.failed)} fail"
                                  f"{'s' if len(ce.failed) == 1 else ''}, no placement of "
                                  "the services on the other nodes exists",
                           model=model, details=explanation_details(ce.explanation))
        return _result(c, text, start, Verdict.UNKNOWN, method,
                       reason=rep.reason or "some failure sets were not decided in time")
    if task.kind == "scale":
        from .verify import scaling
        rep = scaling(p, task.service, task.replicas, mode="replan", time_limit=limit)
        name = p.services[task.service].name
        method = f"schedule: feasibility of {name} at {task.replicas} replicas"
        if rep.verdict == "proved":
            return _result(c, text, start, Verdict.PROVED, method,
                           details=[f"{name}: {rep.before} → {rep.after} replicas fits"])
        if rep.verdict == "violated":
            return _result(c, text, start, Verdict.VIOLATED, method,
                           reason=f"{name} cannot run {task.replicas} replicas",
                           details=explanation_details(rep.explanation))
        return _result(c, text, start, Verdict.UNKNOWN, method,
                       reason=rep.reason or "not decided within the time limit")
    if task.kind == "placed_by":
        from .verify import check_placement
        chk = check_placement(p, task.placement)
        method = "schedule: the independent evaluator"
        if chk.holds:
            return _result(c, text, start, Verdict.PROVED, method)
        return _result(c, text, start, Verdict.VIOLATED, method,
                       reason=f"the placement breaks {len(chk.violations)} constraint"
                              f"{'s' if len(chk.violations) != 1 else ''}",
                       details=[f"- {v}" for v in chk.violations])
    return _result(c, text, start, Verdict.UNKNOWN, "schedule: none",
                   reason=f"unsupported schedule property `{task.kind}`")
