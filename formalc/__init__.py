"""formalc — the formal analysis of IoT container systems, made executable.

The public API is exactly what this module exports::

    import formalc
    spec = formalc.load("specs/isolation.iot")     # typed model (formalc.Spec)
    report = formalc.check(spec)                   # formalc.Report of formalc.Result
    for r in report.results:
        print(r.check, r.verdict, r.counterexample)
"""
from .api import check, check_paths, diagnose, load, loads
from .checks.results import Binding, Blame, Report, Result, Verdict
from .diagnostics import CODES, Diagnostic, Severity, Span, SpecError
from .model.nodes import Spec

__version__ = "0.1.0"

__all__ = ["load", "loads", "check", "check_paths", "diagnose", "fmt", "Spec", "Report",
           "Result", "Verdict", "Binding", "Blame", "Diagnostic", "Severity", "Span",
           "SpecError", "CODES", "__version__"]


def fmt(text: str, name: str = "<string>") -> str:
    """The canonical form of spec ``text`` (Unicode operators, one declaration a line).
    Raises :class:`SpecError` when the text does not parse."""
    from .syntax.printer import format_text
    return format_text(text, name)
