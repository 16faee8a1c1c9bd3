"""The front end of scheduling: run an engine, re-check its answer, explain infeasibility.

:func:`solve` is what ``formalc solve`` and the library call. Whatever the engine says, the
placement is re-checked by :func:`~formalc.schedule.evaluate.evaluate` and the objective is
recomputed from the placement; an engine's claim is only passed on when the re-check agrees:

* a placement that breaks a hard constraint is never shown as a solution (status ``unknown``,
  with the first violation as the reason — an engine bug, reported as such);
* ``optimal`` needs the recomputed objective to equal the proven bound on every level;
  otherwise the answer is ``feasible`` with the bound and the gap;
* ``infeasible`` comes with an :class:`~formalc.schedule.result.Explanation` from an
  independent unsat-core analysis; if that analysis finds a placement, the engines disagree
  and the answer is ``unknown``.
"""
from __future__ import annotations

import time
from fractions import Fraction

from .evaluate import evaluate
from .problem import Problem
from .result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, EngineResult, Solution


def solve(problem: Problem, time_limit: float = 60.0, *, seed: int = 0, explain: bool = True,
          on_improve=None) -> Solution:
    """Optimise ``problem`` within ``time_limit`` seconds (wall clock, explanation included
    up to a fifth more). Never raises on a well-formed Problem: an engine failure is an
    ``unknown`` Solution whose reason names it."""
    t0 = time.perf_counter()
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    try:
        from .engine import optimise
        res = optimise(problem, time_limit, seed=seed, on_improve=on_improve)
    except Exception as e:  # a bug in an engine: say so, never a pass
        res = EngineResult(UNKNOWN, reason=f"internal error in the optimiser: "
                                           f"{type(e).__name__}: {e} (please report it)")
    sol = _recheck(problem, res)
    if sol.status == INFEASIBLE and explain:
        budget = max(2.0, min(30.0, time_limit / 5))
        try:
            from .explain import explain_infeasible
            why = explain_infeasible(problem, time_limit=budget)
        except Exception as e:
            why = None
            sol.reason = (f"proved infeasible by {res.method or 'the optimiser'}; the "
                          f"explanation failed ({type(e).__name__}: {e})")
        else:
            if why is None:
                sol.status = UNKNOWN
                sol.reason = ("the optimiser reported no placement, but the independent "
                              "feasibility check found one: the engines disagree (please "
                              "report it)")
            sol.explanation = why
    sol.elapsed = time.perf_counter() - t0
    return sol


def _recheck(problem: Problem, res: EngineResult) -> Solution:
    sol = Solution(problem=problem, status=res.status, method=res.method, proof=res.proof,
                   reason=res.reason, bounds=list(res.bounds),
                   first_feasible_s=res.first_feasible_s, history=list(res.history),
                   stats=dict(res.stats))
    if res.status not in (OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN):
        sol.status, sol.reason = UNKNOWN, f"the optimiser answered {res.status!r}"
        return sol
    if res.placement is None:
        if res.status in (OPTIMAL, FEASIBLE):
            sol.status = UNKNOWN
            sol.reason = f"the optimiser claimed {res.status} without a placement"
        return sol
    ev = evaluate(problem, res.placement)
    if not ev.valid:
        sol.status = UNKNOWN
        sol.reason = ("the optimiser returned a placement that breaks the spec — "
                      f"{ev.violations[0].message}; it is not shown (please report it)")
        sol.stats["rejected_placement"] = res.placement
        return sol
    if res.status == INFEASIBLE:
        sol.status = UNKNOWN
        sol.reason = "the optimiser called the problem infeasible yet returned a valid placement"
        return sol
    sol.placement = tuple(tuple(sorted(w)) for w in res.placement)
    sol.evaluation = ev
    sol.levels = list(ev.levels)
    if res.status == UNKNOWN:     # a placement with no claim: at least feasible
        sol.status = FEASIBLE
    bounds = list(res.bounds) + [None] * (len(ev.levels) - len(res.bounds))
    sol.bounds = bounds[:len(ev.levels)]
    if sol.status == OPTIMAL:
        proven = all(b is not None and v <= b for v, b in zip(ev.levels, sol.bounds))
        if not proven or list(res.levels[:len(ev.levels)]) != list(ev.levels):
            sol.status = FEASIBLE
            sol.reason = ("the optimiser claimed optimality, but the re-checked objective "
                          f"{_fmt_levels(ev.levels)} does not meet its bound "
                          f"{_fmt_levels(sol.bounds)}")
    return sol


def _fmt_levels(xs) -> str:
    return ", ".join("—" if x is None else f"{float(Fraction(x)):.6g}" for x in xs)
