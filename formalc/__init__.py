"""formalc — the formal analysis of IoT container systems, made executable.

The public API is exactly what this module exports::

    import formalc
    spec = formalc.load("specs/isolation.iot")     # typed model (formalc.Spec)
    report = formalc.check(spec)                   # formalc.Report of formalc.Result
    for r in report.results:
        print(r.check, r.verdict, r.counterexample)
    sol = formalc.solve(formalc.load("examples/plant_floor/plant.iot"))   # a placement
    print(sol.status, sol.levels, sol.problem.named(sol.placement))
"""
from typing import TYPE_CHECKING

from .checks.results import Binding, Blame, Report, Result, Verdict
from .diagnostics import CODES, Diagnostic, Severity, Span, SpecError

if TYPE_CHECKING:
    from .api import check, check_paths, diagnose, load, loads, schedule_problem, solve
    from .model.nodes import Spec

_LAZY = {"check": "api", "check_paths": "api", "diagnose": "api", "load": "api", "loads": "api",
         "schedule_problem": "api", "solve": "api", "Spec": "model.nodes"}


def __getattr__(name: str):
    # The parser and the model are imported on first use, so that `formalc --version` and
    # `import formalc` stay cheap.
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'formalc' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = ["load", "loads", "check", "check_paths", "diagnose", "fmt", "schedule_problem",
           "solve", "Spec", "Report",
           "Result", "Verdict", "Binding", "Blame", "Diagnostic", "Severity", "Span",
           "SpecError", "CODES", "__version__"]


def fmt(text: str, name: str = "<string>") -> str:
    """The canonical form of spec ``text`` (Unicode operators, one declaration a line).
    Raises :class:`SpecError` when the text does not parse."""
    from .syntax.printer import format_text
    return format_text(text, name)
