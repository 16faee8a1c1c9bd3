"""Scheduler conformance: does a placement algorithm respect the spec, and how far from the
optimum is it?

:func:`check_scheduler` runs a *scheduler* — any callable — on placement problems (a list of
:class:`~formalc.schedule.problem.Problem`, or a Hypothesis strategy such as :func:`problems`)
and judges every answer with formalc's own machinery:

* the placement is re-checked by the independent evaluator
  (:func:`formalc.schedule.evaluate.evaluate`, exact rationals, no Z3); every broken hard
  constraint is named: ``capacity cpu on n1``, ``requirement trust: a on n1``,
  ``spread of a``, ``replicas of a``, ``near twin: a on n2``, ``apart split: a on n2``;
* formalc's optimiser solves the same instance (:func:`formalc.schedule.solve.solve`), and the
  scheduler's cost is divided by formalc's (the first objective level): exact against a proven
  optimum, otherwise against the best placement found, with the proven bound as an upper
  estimate of the ratio;
* a refusal (``None``, :class:`NoPlacement`, or an exception listed in ``refuse``) is correct
  when formalc proves the instance infeasible and a finding when formalc places it;
* any other exception is a crash, a finding with its message.

With a strategy, every finding is shrunk by Hypothesis to the smallest instance that still
shows it, and the report ends with a Python transcript that replays it.

The scheduler sees one of two *views* (``view=``):

``"plain"`` (the default) — a dict of plain Python values, so a scheduler needs no formalc
types (see :func:`plain_view`)::

    {"name": "Tiny", "dims": ["cpu"],
     "nodes": [{"name": "n1", "capacity": {"cpu": 4}, "attrs": {"trust": "2"}}, …],
     "services": [{"name": "a", "demand": {"cpu": 3}, "replicas": 2, "spread": True,
                   "allowed": ["n2", "n3"], "attrs": {"minTrust": "4"}}, …],
     "near": [{"rule": "r", "service": "a", "with": "b"}], "apart": […],
     "objective": [{"text": "…", "per_replica": {"a": {"n1": 1.5, …}, …},
                    "peak": 4, "peak_dims": ["cpu"], "nodes_used": 0, "const": 0}]}

``"problem"`` — the :class:`Problem` itself (a deep copy; the scheduler may scribble on it).

Either way it returns ``{service name: [node name, …]}`` (node indices are accepted too), or
a list with one entry per service in the order given, or ``None`` / raises
:class:`NoPlacement` to say the instance cannot be placed.

>>> def first_fit(view):                                    # doctest: +SKIP
...     free = {n["name"]: dict(n["capacity"]) for n in view["nodes"]}
...     out = {}
...     for s in view["services"]:
...         out[s["name"]] = []
...         for _ in range(s["replicas"]):
...             node = next((n for n in s["allowed"] if n not in out[s["name"]] and
...                          all(free[n][d] >= s["demand"][d] for d in view["dims"])), None)
...             if node is None:
...                 raise NoPlacement(f"{s['name']} does not fit")
...             out[s["name"]].append(node)
...             for d in view["dims"]:
...                 free[node][d] -= s["demand"][d]
...     return out
>>> report = check_scheduler(first_fit, problems(), examples=20)   # doctest: +SKIP
>>> print(report.to_text())                                 # doctest: +SKIP

This module runs the scheduler and gives the verdicts; the rest lives beside it and every
public name is re-exported here: :mod:`.sched_problems` (the strategies, :func:`restrict`,
:func:`problem_source`), :mod:`.sched_view` (the plain view, answers as placements, named
violations), :mod:`.sched_results` (outcomes, rows, the report and its JSON),
:mod:`.sched_report` (the text), :mod:`.sched_shrink` (drawing, shrinking, transcripts).
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from ..schedule.evaluate import evaluate
from ..schedule.problem import Problem
from .sched_problems import problem_source, problems, restrict
from .sched_report import num
from .sched_results import Broken, Outcome, SchedulerReport, SchedulerRow, Shrunk
from .sched_shrink import draw_all, finding_kinds, shrink_finding, transcript
from .sched_view import name_violations, plain_view, to_placement

__all__ = ["Broken", "NoPlacement", "Outcome", "SchedulerReport", "SchedulerRow", "Shrunk",
           "check_scheduler", "load_scheduler", "plain_view", "problem_source", "problems",
           "restrict", "to_placement", "transcript"]


class NoPlacement(Exception):
    """Raise it from a scheduler to say "this instance cannot be placed" (a refusal, judged
    against formalc's answer: correct when formalc proves the instance infeasible)."""


# ------------------------------------------------------------------------------ running
def load_scheduler(ref: str) -> Callable:
    """``"package.module:function"`` or ``"path/to/file.py:function"`` (dots after the colon
    reach attributes: ``"mod:Planner.place"``) as the callable it names."""
    mod_name, sep, attr = ref.partition(":")
    if not sep or not mod_name or not attr:
        raise ValueError(f"scheduler {ref!r}: write it as module:function "
                         "(e.g. models.edge_manager:schedule)")
    if mod_name.endswith(".py") or "/" in mod_name:
        path = Path(mod_name)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ValueError(f"scheduler {ref!r}: no Python file {mod_name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, module)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(mod_name)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"scheduler {ref!r}: {mod_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"scheduler {ref!r}: {attr} is a {type(obj).__name__}, not a callable")
    return obj


def _callable_name(f: Callable) -> str:
    mod, qual = getattr(f, "__module__", None), getattr(f, "__qualname__", None)
    if mod and qual:
        return f"{mod}:{qual}"
    return getattr(f, "__name__", None) or type(f).__name__


@dataclass
class _Run:
    """One call of the scheduler and the evaluator's judgement, before formalc is asked (a
    refusal is UNDECIDED until formalc says whether the instance is feasible)."""
    outcome: Outcome
    placement: tuple | None = None
    violations: list[Broken] = field(default_factory=list)
    levels: list[Fraction] = field(default_factory=list)
    detail: str = ""
    scheduler_s: float = 0.0
    check_s: float = 0.0


class _Judge:
    def __init__(self, scheduler: Callable, view: str, refuse: tuple, time_limit: float,
                 seed: int, optimum: bool):
        if view not in ("plain", "problem"):
            raise ValueError(f"view {view!r}: use 'plain' (dicts and lists) or 'problem' "
                             "(formalc.schedule.problem.Problem)")
        if time_limit <= 0:
            raise ValueError("time_limit must be positive (seconds for formalc per instance)")
        self.scheduler, self.view = scheduler, view
        self.refuse = (NoPlacement, *refuse)
        self.time_limit, self.seed, self.optimum = time_limit, seed, optimum

    def run(self, problem: Problem) -> _Run:
        arg = plain_view(problem) if self.view == "plain" else copy.deepcopy(problem)
        t0 = time.perf_counter()
        try:
            answer = self.scheduler(arg)
        except self.refuse as e:
            return _Run(Outcome.UNDECIDED, detail=_exc(e), scheduler_s=time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - the implementation's failure is a finding
            return _Run(Outcome.CRASHED, detail=_exc(e), scheduler_s=time.perf_counter() - t0)
        t1 = time.perf_counter()
        if answer is None:
            return _Run(Outcome.UNDECIDED, detail="returned None", scheduler_s=t1 - t0)
        placement, bad = to_placement(problem, answer)
        if placement is None:
            return _Run(Outcome.VIOLATION, None, bad, scheduler_s=t1 - t0,
                        check_s=time.perf_counter() - t1)
        ev = evaluate(problem, placement)
        broken = name_violations(problem, ev)
        return _Run(Outcome.VALID if ev.valid else Outcome.VIOLATION, placement, broken,
                    list(ev.levels) if ev.valid else [], scheduler_s=t1 - t0,
                    check_s=time.perf_counter() - t1)

    def feasible(self, problem: Problem) -> bool | None:
        """Whether formalc finds a placement (None: undecided in time) — the cheap question
        shrinking asks of a refusal."""
        from ..schedule.feasible import SAT, UNSAT, find_placement
        status, _ = find_placement(problem, time_limit=min(self.time_limit, 5.0))
        return True if status == SAT else False if status == UNSAT else None

    def row(self, index: int, problem: Problem, source: str) -> SchedulerRow:
        run = self.run(problem)
        r = SchedulerRow(index, problem, run.outcome, source, run.violations, run.detail,
                         run.placement, run.levels, scheduler_s=run.scheduler_s,
                         check_s=run.check_s)
        refused = run.outcome is Outcome.UNDECIDED
        if not self.optimum and not refused:
            return r
        t0 = time.perf_counter()
        if self.optimum:
            from ..schedule.solve import solve
            sol = solve(problem, self.time_limit, seed=self.seed, explain=False)
            r.status, r.optimum = sol.status, list(sol.levels)
            r.formalc_placement = sol.placement
            r.bound = sol.bounds[0] if sol.bounds else None
            feasible = True if sol.status in ("optimal", "feasible") else \
                False if sol.status == "infeasible" else None
            if sol.status == "unknown" and sol.reason:
                r.notes.append(f"formalc: {sol.reason}")
        else:
            feasible = self.feasible(problem)
            r.status = {True: "feasible", False: "infeasible", None: "unknown"}[feasible]
        r.optimum_s = time.perf_counter() - t0
        if refused:
            r.outcome = {True: Outcome.REFUSED_FEASIBLE, False: Outcome.REFUSED_INFEASIBLE,
                         None: Outcome.UNDECIDED}[feasible]
        elif run.outcome is Outcome.VIOLATION and feasible is False:
            r.notes.append("formalc proves the instance infeasible: no placement can be right")
        elif run.outcome is Outcome.VALID:
            _compare(r)
        return r


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _compare(r: SchedulerRow) -> None:
    if r.status == "infeasible":
        r.notes.append("formalc disagrees: it calls the instance infeasible, yet the "
                       "scheduler's placement is valid")
        return
    if not (r.levels and r.optimum):
        return
    mine, best = r.levels[0], r.optimum[0]
    if r.proven and mine < best:
        r.notes.append(f"formalc disagrees: its proven optimum {num(best)} is above the "
                       f"scheduler's valid placement ({num(mine)})")
    r.ratio = _div(mine, best)
    if r.status == "feasible" and r.bound is not None:
        r.ratio_bound = _div(mine, r.bound)
        if mine < best:
            r.notes.append("cheaper than formalc's best found within the time limit")


def _div(a: Fraction, b: Fraction):
    if b > 0:
        return a / b
    if b == 0:
        return Fraction(1) if a == 0 else math.inf
    return None          # a negative optimum: no meaningful ratio



def check_scheduler(scheduler: Callable, problems: Iterable[Problem] | st.SearchStrategy, *,
                    view: str = "plain", examples: int = 25, time_limit: float = 10.0,
                    seed: int = 0, refuse: Iterable[type[BaseException]] = (),
                    explicit: Iterable[Problem] = (), optimum: bool = True,
                    shrink: bool = True, name: str | None = None) -> SchedulerReport:
    """Run ``scheduler`` on every instance and judge it (see the module documentation).

    ``problems``: Problems, or a Hypothesis strategy (such as :func:`problems`) from which
    ``examples`` instances are drawn, deterministically for a ``seed``; ``explicit``
    instances (e.g. the spec's schedule as written) are checked first. ``refuse``: exception
    types that mean "cannot place" besides :class:`NoPlacement`. ``time_limit``: seconds
    formalc may spend on one instance's optimum. ``optimum=False`` skips the optimum (no
    ratios; refusals are judged by a feasibility search). ``shrink``: with a strategy, shrink
    every kind of finding to its smallest instance.

    Never raises for what the scheduler does; raises ValueError for a bad ``view`` or
    ``time_limit``."""
    t0 = time.perf_counter()
    refuse = tuple(refuse)
    judge = _Judge(scheduler, view, refuse, time_limit, seed, optimum)
    strategy = problems if isinstance(problems, st.SearchStrategy) else None
    if isinstance(problems, Problem):
        problems = [problems]
    given = list(explicit)
    drawn = draw_all(strategy, examples, seed) if strategy is not None else list(problems)
    n_drawn = len(drawn)
    if strategy is not None:     # different draws can make the same instance: judge it once
        drawn = list({problem_source(p): p for p in drawn}.values())
    rows = [judge.row(k, p, "given") for k, p in enumerate(given)]
    src = "generated" if strategy is not None else "given"
    rows += [judge.row(len(given) + k, p, src) for k, p in enumerate(drawn)]
    report = SchedulerReport(name or _callable_name(scheduler), rows, seed=seed, view=view,
                             time_limit=time_limit, duplicates=n_drawn - len(drawn))
    targets: dict[str, SchedulerRow] = {}
    for r in rows:
        for t in finding_kinds(r):
            targets.setdefault(t, r)
    for t, first in targets.items():
        small, tried, note = first.problem, 0, ""
        if first.source != "generated":
            note = "as given (only instances drawn from a strategy are shrunk)"
        elif not shrink:
            note = "as generated (shrink=False)"
        else:
            found, tried = shrink_finding(judge, strategy, t, examples, seed)
            if found is None:
                note = "as generated: the shrinking search did not meet it again"
            else:
                small = found
        row = judge.row(first.index, small, "shrunk" if not note else first.source)
        report.smallest.append(Shrunk(t, row, transcript(scheduler, small, view, refuse),
                                      not note, tried, note))
    report.wall_s = time.perf_counter() - t0
    return report
