"""Robustness: no input makes formalc raise. Random text, and real specs with random edits, go
through parsing, type checking and (when they compile) solving; every diagnostic has a
registered code and a position inside the text, and every verdict is one of the four."""
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formalc
from formalc import CODES, Verdict

ROOT = Path(__file__).resolve().parent.parent
CORPUS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.iot"))]

# Pieces of the language, so that random text often gets past the lexer into the later stages.
TOKENS = ["check", "sat", "assume", "import", "∀", "∃", "Σ", "•", "::", "∈", "∉", "⊆", "∪", "∩",
          "\\", "∧", "∨", "¬", "⇒", "⇔", "=", "≠", "<", "≤", ">", "≥", "+", "-", "×", "/", "|",
          "(", ")", "{", "}", ",", ":", ":=", ".", "→", "@def", "3.1", "0", "1", "7/9", "512MiB",
          "20ms", "500m", "100Mbps", "80%", "2.5", '"s"', "true", "false", "if", "then", "else",
          "set", "Int", "Bool", "Real", "CPU", "Bytes", "Time", "S", "T", "a", "b", "c", "x",
          "f", "δ", "total", "\n", " "]


def _assert_sane(text: str, diags) -> None:
    lines = text.count("\n") + 1
    for d in diags:
        assert d.code in CODES
        if d.span is not None and d.span.file == "fuzz.iot":
            assert 1 <= d.span.line <= lines and d.span.column >= 1


def _run(text: str) -> None:
    diags = formalc.diagnose(text, "fuzz.iot")
    _assert_sane(text, diags)
    if any(d.is_error for d in diags):
        return
    report = formalc.check(formalc.loads(text, "fuzz.iot"), timeout=1)
    for r in report.results:
        assert r.verdict in Verdict
        assert not (r.reason or "").startswith("internal error"), r.reason


settings_ = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@settings_
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_token_soup_never_raises(text):
    _run(text)


@settings_
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text):
    _run(text)


@settings_
@given(st.sampled_from(CORPUS), st.data())
def test_edited_real_specs_never_raise(source, data):
    """A real spec with a few random deletions, duplications and insertions: mostly broken,
    sometimes still valid (then it is checked too)."""
    text = source
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        action = data.draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + data.draw(st.sampled_from(TOKENS)) + text[i:]
    _run(text)
