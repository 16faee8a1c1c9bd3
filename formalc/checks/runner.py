"""Running the checks of a spec: selection, and turning every failure into an honest verdict."""
from __future__ import annotations

import fnmatch
import time

from typing import TYPE_CHECKING

from ..diagnostics import source_text
from .results import Result, Verdict

if TYPE_CHECKING:
    from ..model import nodes as m

DEFAULT_TIMEOUT_S = 10.0


def matches(check: m.Check, patterns: list[str] | None, formula_text: str = "") -> bool:
    """-k semantics: a check is selected when a pattern is a substring of its name (or a glob
    matching it); no patterns selects everything."""
    if not patterns:
        return True
    for p in patterns:
        if p in check.name or fnmatch.fnmatchcase(check.name, p):
            return True
    return False


def formula_text(spec: m.Spec, check: m.Check) -> str:
    return source_text(spec.sources, check.formula.span) or check.name


def run_checks(spec: m.Spec, timeout_s: float = DEFAULT_TIMEOUT_S,
               select: list[str] | None = None, cache=None, engine: str = "auto") -> list[Result]:
    """Run the selected checks of ``spec``; ``cache`` (a :class:`ResultCache`) supplies and
    keeps definite results. ``engine`` (auto, explicit, symbolic) decides machine checks."""
    chosen = [c for c in spec.checks if matches(c, select)]
    if not chosen:
        return []
    key = cache.spec_key(spec) if cache is not None else None
    out: list[Result | None] = [cache.get(key, c.name) if cache is not None else None for c in chosen]
    if any(r is None for r in out):
        from ..encode.run import Session  # the solver back end is loaded only when needed
        session = Session(spec)
        machines = None
        for i, c in enumerate(chosen):
            if out[i] is None:
                if _is_machine_check(c):
                    if machines is None:
                        from ..machines.check import MachineSession
                        machines = MachineSession(spec)
                    out[i] = run_check(spec, c, timeout_s, machines, engine)
                else:
                    out[i] = run_check(spec, c, timeout_s, session)
                if cache is not None:
                    cache.put(key, out[i])
    return out  # type: ignore[return-value]


def _is_machine_check(c: m.Check) -> bool:
    from ..model.nodes import Models
    return isinstance(c.formula, Models)


def run_check(spec: m.Spec, c: m.Check, timeout_s: float = DEFAULT_TIMEOUT_S,
              session=None, engine: str = "auto") -> Result:
    """Discharge one check; any failure inside formalc becomes an unknown verdict."""
    text = formula_text(spec, c)
    start = time.perf_counter()
    try:
        from ..model.nodes import ScheduleProp
        if isinstance(c.formula, ScheduleProp):
            from ..schedule.checks import check_schedule
            return check_schedule(spec, c, int(timeout_s * 1000), text)
        if _is_machine_check(c):
            from ..machines.check import check_machine
            return check_machine(spec, c, int(timeout_s * 1000), text, engine, session)
        from ..encode.run import solve
        return solve(spec, c, int(timeout_s * 1000), text, session)
    except RecursionError:
        return _unknown(spec, c, text, start, "the formula is too deeply nested to encode")
    except Exception as e:  # a bug in formalc must never read as a pass
        return _unknown(spec, c, text, start, f"internal error: {type(e).__name__}: {e}")


def _unknown(spec, c, text, start, reason) -> Result:
    return Result(check=c.name, file=c.span.file if c.span else spec.file,
                  line=c.span.line if c.span else 0, kind=c.kind, formula=text,
                  verdict=Verdict.UNKNOWN, time_ms=(time.perf_counter() - start) * 1000,
                  reason=reason, definitions=c.annotations.defs)
