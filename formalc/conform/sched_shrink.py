"""Drawing instances from a strategy, shrinking each kind of finding to the smallest instance
that still shows it, and the Python transcript that replays it."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..schedule.problem import Problem
from .sched_problems import problem_source
from .sched_results import Outcome, SchedulerRow

if TYPE_CHECKING:
    from .scheduler import _Judge


def finding_kinds(r: SchedulerRow) -> list[str]:
    """The kinds of finding ``r`` shows, each shrunk on its own: ``violation capacity``,
    ``crashed ValueError``, ``refused-feasible``."""
    if r.outcome is Outcome.VIOLATION:
        return [f"violation {k}" for k in dict.fromkeys(b.kind for b in r.violations)]
    if r.outcome is Outcome.CRASHED:
        return [f"crashed {r.detail.split(':')[0]}"]
    if r.outcome is Outcome.REFUSED_FEASIBLE:
        return ["refused-feasible"]
    return []


def _shows(judge: _Judge, problem: Problem, target: str) -> bool:
    run = judge.run(problem)
    kind, _, what = target.partition(" ")
    if kind == "violation":
        return any(b.kind == what for b in run.violations)
    if kind == "crashed":
        return run.outcome is Outcome.CRASHED and run.detail.split(":")[0] == what
    return run.outcome is Outcome.UNDECIDED and judge.feasible(problem) is True


def _settings(examples: int, phases):
    from hypothesis import HealthCheck, Verbosity, settings
    return settings(max_examples=examples, phases=phases, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                    report_multiple_bugs=False)


def draw_all(strategy, examples: int, seed: int) -> list[Problem]:
    """``examples`` instances from ``strategy``, the same ones for the same ``seed``."""
    from hypothesis import Phase, given
    from hypothesis import seed as hseed
    got: list[Problem] = []

    @hseed(seed)
    @_settings(examples, (Phase.generate,))
    @given(strategy)
    def collect(p):
        got.append(p)
    collect()
    return got


class _Found(Exception):
    pass


def shrink_finding(judge: _Judge, strategy, target: str, examples: int, seed: int):
    """The smallest instance the strategy yields that shows ``target``, and how many
    instances were tried; None when it is not found again. The same seed as the first pass
    regenerates the same instances in order, so the search meets the finding there."""
    from hypothesis import Phase, given
    from hypothesis import seed as hseed
    last: list[Problem] = []
    tried = [0]

    @hseed(seed)
    @_settings(examples, (Phase.generate, Phase.shrink))
    @given(strategy)
    def search(p):
        tried[0] += 1
        if _shows(judge, p, target):
            last[:] = [p]
            raise _Found
    try:
        search()
    except _Found:
        return last[0], tried[0]
    return None, tried[0]


def transcript(scheduler: Callable, problem: Problem, view: str, refuse: tuple = ()) -> str:
    """Python source that rebuilds ``problem`` and checks ``scheduler`` on it alone."""
    mod, qual = getattr(scheduler, "__module__", None), getattr(scheduler, "__qualname__", "")
    names = "Affinity, CostTerm, Dim, Linear, Node, Problem, Requirement, Service, Term"
    lines = ["from fractions import Fraction",
             f"from formalc.schedule.problem import {names}",
             "from formalc.conform.scheduler import check_scheduler"]
    importable = mod and qual and "<" not in qual and mod != "__main__"
    if importable:
        lines.append(f"import {mod}")
        call = f"{mod}.{qual}"
    else:
        lines.append(f"# define the scheduler here: {getattr(scheduler, '__name__', 'scheduler')}"
                     " is not importable")
        call = "scheduler"
    extra = list(refuse)
    for m in sorted({t.__module__ for t in extra} - {"builtins", mod}):
        lines.append(f"import {m}")
    ref = ", ".join(t.__qualname__ if t.__module__ == "builtins"
                    else f"{t.__module__}.{t.__qualname__}" for t in extra)
    lines.append(f"problem = {problem_source(problem)}")
    lines.append(f"report = check_scheduler({call}, [problem], view={view!r}"
                 + (f", refuse=({ref},)" if extra else "") + ")")
    lines.append("print(report.to_text())")
    return "\n".join(lines)
