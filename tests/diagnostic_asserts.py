"""Shared assertions for bad-input tests: exactly one error, with its code, place and hint."""
import formalc


def errors(text: str, name: str = "t.iot"):
    return [d for d in formalc.diagnose(text, name) if d.is_error]


def the_error(text: str, name: str = "t.iot"):
    errs = errors(text, name)
    assert len(errs) == 1, [(d.code, d.message, str(d.span)) for d in errs]
    return errs[0]


def assert_diagnostic(d, code, line, col, hint=None, message=None, file="t.iot"):
    """``d`` has ``code`` at ``file:line:col``; ``hint`` and ``message`` (when given) are
    substrings of its hint and message."""
    assert (d.code, d.span.file, d.span.line, d.span.column) == (code, file, line, col), \
        (d.code, d.message, str(d.span), d.hint)
    if hint is not None:
        assert d.hint is not None and hint in d.hint, d.hint
    if message is not None:
        assert message in d.message, d.message
