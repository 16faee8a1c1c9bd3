"""Bad input: every problem gets a diagnostic with a stable code and a file:line:col, and
never a Python traceback.

Each case is checked twice: through the command line (`python -m formalc check …` in a
subprocess: exit code 2, `error[FCnnn]` and `--> file:line:col` on stderr, nothing on stdout)
and through the library (`formalc.diagnose(text)` / `formalc.load(path)`: code, line, column).
The spec files are in tests/fixtures/bad/; inputs that cannot sensibly live in the repository
(binary, invalid UTF-8, 50 MB, 10,000-deep nesting) are generated in tmp_path.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import formalc
from formalc.diagnostics import CODES, Diagnostic, Severity
from formalc.syntax.parser import MAX_DEPTH

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "fixtures" / "bad"



def load_error(path):
    """The one diagnostic that formalc.load raises (as SpecError) for ``path``."""
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(path)
    (d,) = info.value.diagnostics
    return d

def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "FORMALC_CACHE_DIR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["FORMALC_NO_CACHE"] = "1"  # every run solves, and nothing is written to ~/.cache
    return env


def formalc_cli(*args: str, cwd: Path = BAD) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "formalc", *args], cwd=cwd, env=_env(),
                       capture_output=True, text=True, encoding="utf-8", errors="replace",
                       timeout=120)
    assert "Traceback" not in p.stderr, p.stderr
    assert "Traceback" not in p.stdout, p.stdout
    return p


def assert_cli_error(p: subprocess.CompletedProcess, code: str, where: str | None) -> None:
    """Exit 2, the diagnostic on stderr with its location, nothing on stdout."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert f"error[{code}]" in p.stderr, p.stderr
    if where is not None:
        assert f"--> {where}\n" in p.stderr, p.stderr
    assert p.stdout == ""
    assert re.search(r"\d+ errors?", p.stderr)


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.is_error]


def diagnose_fixture(name: str) -> list[Diagnostic]:
    return formalc.diagnose((BAD / name).read_text(encoding="utf-8"), name)


def assert_well_formed(diags) -> None:
    for d in diags:
        assert d.code in CODES
        assert d.message
        if d.span is not None:
            assert d.span.line >= 1 and d.span.column >= 1


# ------------------------------------------------------------------------------ one table
# (fixture, code, line, column, text that must appear in the message, hint or notes)
CASES = [
    ("unknown_name.iot", "FC201", 2, 16, "did you mean `Running`?"),
    ("duplicate.iot", "FC202", 3, 1, "first declared here"),
    ("import_missing.iot", "FC203", 1, 8, "common/types.iot"),
    ("type_error.iot", "FC301", 2, 10, "expected Bool, found Int"),
    ("unit_mismatch.iot", "FC302", 2, 10, "Time"),
    ("unitless.iot", "FC306", 3, 21, "Bytes"),
    ("unknown_unit.iot", "FC105", 1, 10, "Mbit"),
    ("arity.iot", "FC303", 3, 10, "takes 1 argument, 2 given"),
    ("unknown_field.iot", "FC205", 3, 10, "no field `cpu`"),
    ("recursive.iot", "FC206", 2, 1, "Loop → Loop"),
    ("table_conflict.iot", "FC210", 4, 1, "two values"),
    ("unexpected_token.iot", "FC101", 2, 14, "unexpected `=`"),
    ("unexpected_char.iot", "FC102", 1, 8, "unexpected character `$`"),
    ("unexpected_eof.iot", "FC103", 1, 9, "unexpected end of file"),
    ("semicolon.iot", "FC102", 1, 11, "need no `;`"),
]
IDS = [c[0].removesuffix(".iot") for c in CASES]


def _text_of(d: Diagnostic) -> str:
    return " ".join([d.message, d.hint or ""] + [m for m, _ in d.notes])


@pytest.mark.parametrize("fixture,code,line,col,needle", CASES, ids=IDS)
def test_api_diagnose(fixture, code, line, col, needle):
    diags = diagnose_fixture(fixture)
    assert_well_formed(diags)
    errs = errors(diags)
    assert len(errs) == 1, errs
    (d,) = errs
    assert d.code == code
    assert (d.span.file, d.span.line, d.span.column) == (fixture, line, col)
    assert needle in _text_of(d)


@pytest.mark.parametrize("fixture,code,line,col,needle", CASES, ids=IDS)
def test_cli(fixture, code, line, col, needle):
    p = formalc_cli("check", "--no-color", fixture)
    assert_cli_error(p, code, f"{fixture}:{line}:{col}")
    assert needle in p.stderr
    assert "1 error" in p.stderr


@pytest.mark.parametrize("fixture,code,line,col,needle", CASES, ids=IDS)
def test_api_load_raises_spec_error(fixture, code, line, col, needle):
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(BAD / fixture)
    (d,) = errors(list(info.value.diagnostics))
    assert d.code == code and (d.span.line, d.span.column) == (line, col)
    assert f"error[{code}]" in info.value.render()
    assert code in str(info.value)


def test_whole_folder_no_traceback():
    """All bad fixtures in one run: every code shows up, exit 2, no traceback."""
    p = formalc_cli("check", "--no-color", ".")
    assert p.returncode == 2
    for _, code, *_ in CASES:
        assert f"error[{code}]" in p.stderr
    assert "error[FC204]" in p.stderr
    assert "warning[FC006]" in p.stderr


# ------------------------------------------------------------------------------ names
def test_unknown_name_hint_rendered():
    p = formalc_cli("check", "--no-color", "unknown_name.iot")
    assert "error[FC201]: unknown name `Runing`" in p.stderr
    assert " 2 | check started: Runing = Created" in p.stderr
    assert "   |                ^^^^^^" in p.stderr
    assert "= hint: did you mean `Running`?" in p.stderr


def test_duplicate_note_points_at_first():
    (d,) = errors(diagnose_fixture("duplicate.iot"))
    assert d.code == "FC202"
    assert "`States`" in d.message
    ((msg, span),) = d.notes
    assert "first declared" in msg
    assert (span.file, span.line, span.column) == ("duplicate.iot", 1, 1)
    p = formalc_cli("check", "--no-color", "duplicate.iot")
    assert "= note: first declared here (duplicate.iot:1:1)" in p.stderr


def test_duplicate_across_import(tmp_path):
    (tmp_path / "types.iot").write_text("States = {Created, Running}\n", encoding="utf-8")
    (tmp_path / "main.iot").write_text('import "types.iot"\nStates = {Paused}\n', encoding="utf-8")
    p = formalc_cli("check", "--no-color", "main.iot", cwd=tmp_path)
    assert_cli_error(p, "FC202", "main.iot:2:1")
    assert "first declared here (types.iot:1:1)" in p.stderr


def test_table_conflict_note_points_at_first_row():
    (d,) = errors(diagnose_fixture("table_conflict.iot"))
    ((msg, span),) = d.notes
    assert (span.line, span.column) == (3, 1)


def test_duplicate_table_row_is_a_warning():
    diags = formalc.diagnose("S = {A, B}\nf: S → S\nf(A) = B\nf(A) = B\n", "t.iot")
    (d,) = diags
    assert d.code == "FC209" and d.severity is Severity.WARNING
    assert (d.span.line, d.span.column) == (4, 1)


def test_mutual_recursion():
    diags = formalc.diagnose("S = {A, B}\nP(s: S) := Q(s)\nQ(s: S) := P(s)\ncheck c: P(A)\n", "t.iot")
    assert {(d.code, d.span.line) for d in errors(diags)} == {("FC206", 2), ("FC206", 3)}
    assert any("P → Q → P" in d.message for d in diags)


# ------------------------------------------------------------------------------ imports
def test_import_not_found_cli():
    p = formalc_cli("check", "--no-color", "import_missing.iot")
    assert_cli_error(p, "FC203", "import_missing.iot:1:8")
    assert "cannot find `common/types.iot`" in p.stderr


def test_bundled_import_typo_hint(tmp_path):
    (tmp_path / "m.iot").write_text("import lifecycl\ncheck c: true\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "m.iot", cwd=tmp_path)
    assert_cli_error(p, "FC203", "m.iot:1:8")
    if (ROOT / "specs" / "lifecycle.iot").exists():
        assert "did you mean `lifecycle`?" in p.stderr


def test_import_cycle_cli():
    p = formalc_cli("check", "--no-color", "cycle_a.iot")
    assert_cli_error(p, "FC204", "cycle_b.iot:1:8")
    assert "import cycle: cycle_a.iot → cycle_b.iot → cycle_a.iot" in p.stderr


def test_import_cycle_api():
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(BAD / "cycle_a.iot")
    (d,) = errors(list(info.value.diagnostics))
    assert d.code == "FC204"
    assert d.span.file.endswith("cycle_b.iot")
    assert (d.span.line, d.span.column) == (1, 8)


def test_self_import(tmp_path):
    (tmp_path / "self.iot").write_text('import "self.iot"\ncheck c: true\n', encoding="utf-8")
    p = formalc_cli("check", "--no-color", "self.iot", cwd=tmp_path)
    assert_cli_error(p, "FC204", "self.iot:1:8")


# ------------------------------------------------------------------------------ files
def test_empty_file_warns_and_exits_0():
    p = formalc_cli("check", "--no-color", "empty.iot")
    assert p.returncode == 0, p.stderr
    assert "warning[FC006]: empty.iot declares nothing" in p.stderr
    assert "--> empty.iot:1:1" in p.stderr
    assert "0 checks in 1 file" in p.stderr
    assert "error" not in p.stderr.replace("0 errors", "")
    spec = formalc.load(BAD / "empty.iot")  # a warning is not an error: no SpecError
    assert spec.checks == ()
    report = formalc.check_paths([str(BAD / "empty.iot")])
    assert [d.code for d in report.diagnostics] == ["FC006"]
    assert report.exit_code == 0


def test_comment_only_file_warns(tmp_path):
    (tmp_path / "c.iot").write_text("// nothing here yet\n/* really */\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "c.iot", cwd=tmp_path)
    assert p.returncode == 0
    assert "warning[FC006]" in p.stderr and "--> c.iot:1:1" in p.stderr


def test_empty_text_diagnose_warns():
    diags = formalc.diagnose("", "empty.iot")
    assert [(d.code, d.severity) for d in diags] == [("FC006", Severity.WARNING)]


def test_binary_file(tmp_path):
    (tmp_path / "image.iot").write_bytes(b"x := 1\n\x00\x01\x02\xff\xfe" + bytes(range(256)))
    p = formalc_cli("check", "--no-color", "image.iot", cwd=tmp_path)
    assert_cli_error(p, "FC003", "image.iot:1:1")
    assert "binary" in p.stderr
    d = load_error(tmp_path / "image.iot")
    assert d.code == "FC003" and (d.span.line, d.span.column) == (1, 1)


def test_invalid_utf8(tmp_path):
    # Latin-1 `é` (0xe9) at line 2, column 24.
    (tmp_path / "latin.iot").write_bytes(b"S = {a, b}\ncheck c: |S| = 2 // caf\xe9\n")
    p = formalc_cli("check", "--no-color", "latin.iot", cwd=tmp_path)
    assert_cli_error(p, "FC002", "latin.iot:2:24")
    assert "0xe9" in p.stderr
    assert "UTF-8" in p.stderr
    d = load_error(tmp_path / "latin.iot")
    assert d.code == "FC002" and (d.span.line, d.span.column) == (2, 24)


def test_invalid_utf8_column_counts_characters(tmp_path):
    # `∀ ∈ •` are 3 bytes each; the bad byte 0xff is character 29 of line 2.
    (tmp_path / "u.iot").write_bytes("S = {a}\ncheck c: ∀ x ∈ S • x = a // ".encode() + b"\xff\n")
    d = load_error(tmp_path / "u.iot")
    assert d.code == "FC002" and (d.span.line, d.span.column) == (2, 29)


def test_utf8_bom_accepted(tmp_path):
    (tmp_path / "bom.iot").write_bytes(b"\xef\xbb\xbfS = {a}\ncheck c: |S| = 1\n")
    p = formalc_cli("check", "--no-color", "bom.iot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr


def test_utf8_bom_in_text_accepted():
    assert formalc.diagnose("\ufeffS = {a}\ncheck c: |S| = 1\n", "t.iot") == []


def test_missing_file(tmp_path):
    p = formalc_cli("check", "--no-color", "missing.iot", cwd=tmp_path)
    assert_cli_error(p, "FC001", None)  # named on the command line: no position in a file
    assert "missing.iot" in p.stderr
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(tmp_path / "missing.iot")
    assert [d.code for d in info.value.diagnostics] == ["FC001"]


def test_missing_file_among_good_ones(tmp_path):
    (tmp_path / "ok.iot").write_text("S = {a}\ncheck one: |S| = 1\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "ok.iot", "missing.iot", cwd=tmp_path)
    assert p.returncode == 2
    assert "error[FC001]" in p.stderr and "missing.iot" in p.stderr
    assert re.search(r"✔ proved\s+one", p.stdout)  # the good file is still checked


def test_folder_without_specs(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("not a spec\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "docs", cwd=tmp_path)
    assert_cli_error(p, "FC005", None)
    assert "docs" in p.stderr
    report = formalc.check_paths([str(tmp_path / "docs")])
    assert [d.code for d in report.diagnostics] == ["FC005"] and report.exit_code == 2


def test_folder_loaded_as_file(tmp_path):
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(tmp_path)
    assert [d.code for d in info.value.diagnostics] == ["FC001"]


def test_50mb_file_refused(tmp_path):
    line = "// " + "x" * 96 + "\n"
    with open(tmp_path / "big.iot", "w", encoding="utf-8") as f:
        chunk = line * 10_000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            f.write(chunk)
    assert (tmp_path / "big.iot").stat().st_size > 50 * 1024 * 1024
    p = formalc_cli("check", "--no-color", "big.iot", cwd=tmp_path)
    assert_cli_error(p, "FC004", "big.iot:1:1")
    assert "limit" in p.stderr and "--max-size" in p.stderr
    with pytest.raises(formalc.SpecError) as info:
        formalc.load(tmp_path / "big.iot")
    assert [d.code for d in info.value.diagnostics] == ["FC004"]


def test_max_size_option(tmp_path):
    text = "S = {a}\ncheck one: |S| = 1\n" + ("// " + "x" * 96 + "\n") * 12_000  # ~1.2 MB
    (tmp_path / "m.iot").write_text(text, encoding="utf-8")
    p = formalc_cli("check", "--no-color", "--max-size", "1", "m.iot", cwd=tmp_path)
    assert_cli_error(p, "FC004", "m.iot:1:1")
    p = formalc_cli("check", "--no-color", "--max-size", "2", "m.iot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    with pytest.raises(formalc.SpecError):
        formalc.load(tmp_path / "m.iot", max_size=1024 * 1024)


def test_size_limit_message_matches_option(tmp_path):
    with open(tmp_path / "big.iot", "wb") as f:
        f.write(b"// x\n" * (17 * 1024 * 1024 // 5 + 1))
    d = load_error(tmp_path / "big.iot")
    assert re.search(r"limit is 16(\.0)? Mi?B", d.message), d.message


# ------------------------------------------------------------------------------ nesting
N = 10_000


def _deep(kind: str) -> str:
    if kind == "parens":
        return "x: Int\ncheck c: " + "(" * N + "x" + ")" * N + " = x\n"
    if kind == "not":
        return "x: Bool\ncheck c: " + "¬" * N + "x\n"
    if kind == "calls":
        return "f: Int → Int\ncheck c: " + "f(" * N + "0" + ")" * N + " = 0\n"
    if kind == "minus":
        return "check c: " + "-" * N + "1 = 1\n"
    if kind == "and-parens":
        return "x: Bool\ncheck c: " + "(x ∧ " * N + "x" + ")" * N + "\n"
    raise ValueError(kind)


DEEP = ["not", "calls", "minus", "and-parens"]


@pytest.mark.parametrize("kind", DEEP)
def test_deep_nesting_api(kind):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # the library must not depend on a raised recursion limit
    try:
        diags = formalc.diagnose(_deep(kind), "deep.iot")
    finally:
        sys.setrecursionlimit(old)
    (d,) = diags
    assert d.code == "FC104"
    assert f"the limit is {MAX_DEPTH}" in d.message
    line = 1 if kind == "minus" else 2
    assert d.span.file == "deep.iot" and d.span.line == line
    assert 10 <= d.span.column <= 10 + 2 * N  # inside the deep expression


@pytest.mark.parametrize("kind", DEEP)
def test_deep_nesting_cli(kind, tmp_path):
    (tmp_path / "deep.iot").write_text(_deep(kind), encoding="utf-8")
    p = formalc_cli("check", "--no-color", "deep.iot", cwd=tmp_path)
    assert_cli_error(p, "FC104", None)
    assert re.search(r"--> deep\.iot:[12]:\d+\n", p.stderr)
    assert "RecursionError" not in p.stderr


def test_deep_parentheses_add_no_depth(tmp_path):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        assert formalc.diagnose(_deep("parens"), "deep.iot") == []
    finally:
        sys.setrecursionlimit(old)
    (tmp_path / "deep.iot").write_text(_deep("parens"), encoding="utf-8")
    p = formalc_cli("check", "--no-color", "deep.iot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert re.search(r"✔ proved\s+c", p.stdout)


def test_nesting_limit_boundary(tmp_path):
    """`¬…¬x` with k negations is k+1 levels deep: MAX_DEPTH levels are accepted (and
    checked end to end), one more is FC104."""
    assert formalc.diagnose("x: Bool\ncheck c: " + "¬" * (MAX_DEPTH - 1) + "x\n") == []
    deep = formalc.diagnose("x: Bool\ncheck c: " + "¬" * MAX_DEPTH + "x\n", "t.iot")
    assert [d.code for d in deep] == ["FC104"]
    # the deepest accepted formula goes through the solver and the explanation
    k = MAX_DEPTH - 2  # even: ¬…¬x is x, so the check is violated (x = false)
    (tmp_path / "edge.iot").write_text("x: Bool\ncheck c: " + "¬" * k + "x\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "edge.iot", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert re.search(r"^\s+x\s+false\s*$", p.stdout, re.M)


# ------------------------------------------------------------------------------ several errors
def test_three_independent_errors_api():
    diags = diagnose_fixture("three_errors.iot")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [
        ("FC201", 2, 10), ("FC105", 3, 10), ("FC301", 5, 10)]


def test_three_independent_errors_cli():
    p = formalc_cli("check", "--no-color", "three_errors.iot")
    assert p.returncode == 2
    for code, where in [("FC201", "2:10"), ("FC105", "3:10"), ("FC301", "5:10")]:
        assert f"error[{code}]" in p.stderr
        assert f"--> three_errors.iot:{where}\n" in p.stderr
    assert "3 errors" in p.stderr
    assert p.stdout == ""


def test_three_syntax_errors():
    diags = diagnose_fixture("three_syntax_errors.iot")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [
        ("FC102", 1, 8), ("FC101", 2, 10), ("FC103", 3, 9)]
    p = formalc_cli("check", "--no-color", "three_syntax_errors.iot")
    assert p.returncode == 2 and "3 errors" in p.stderr


def test_good_file_still_checked_next_to_bad_one():
    p = formalc_cli("check", "--no-color", "unknown_name.iot",
                    str(ROOT / "tests" / "fixtures" / "cli" / "holds.iot"))
    assert p.returncode == 2
    assert "error[FC201]" in p.stderr
    assert re.search(r"✔ proved\s+three_runtimes", p.stdout)


# ------------------------------------------------------------------------------ syntax details
def test_semicolon_hint():
    (d,) = diagnose_fixture("semicolon.iot")
    assert d.code == "FC102" and (d.span.line, d.span.column) == (1, 11)
    assert "`;`" in d.hint
    p = formalc_cli("check", "--no-color", "semicolon.iot")
    assert "= hint: statements need no `;`" in p.stderr


@pytest.mark.parametrize("text,code,line,col", [
    ("check c:", "FC103", 1, 9),
    ("check c: ∀ • true\n", "FC101", 1, 12),
    ("x := 'abc'\n", "FC102", 1, 6),
    ("# comment\n", "FC102", 1, 1),
    ("S = {a, b}\ncheck c: ∀ x ∈ S • x = = a\n", "FC101", 2, 24),
    ("x := (1 + 2\n", "FC103", 1, 12),
    ("x = 3\n", "FC101", 1, 5),
    ("S = {a b}\n", "FC101", 1, 8),
], ids=["eof-after-colon", "quantifier-without-binder", "single-quotes", "hash-comment",
        "double-equals", "unclosed-paren", "eq-instead-of-defeq", "missing-comma"])
def test_syntax_positions(text, code, line, col):
    diags = formalc.diagnose(text, "t.iot")
    assert [(d.code, d.span.line, d.span.column) for d in diags][:1] == [(code, line, col)]
    assert_well_formed(diags)


def test_syntax_hints():
    (d,) = formalc.diagnose("x := 'abc'\n", "t.iot")
    assert "double quotes" in d.hint
    (d,) = formalc.diagnose("# comment\n", "t.iot")
    assert "//" in d.hint
    (d,) = formalc.diagnose("x = 3\n", "t.iot")  # `=` starts an enumeration or a tuple type
    assert "`{`" in d.hint and "`(`" in d.hint


@pytest.mark.parametrize("text,line,col,word", [
    ("and := 3\n", 1, 1, "and"),
    ("in: Int\n", 1, 1, "in"),
    ("true := false\n", 1, 1, "true"),
    ("S = {a, if}\n", 1, 9, "if"),
], ids=["and-constant", "in-signature", "true-constant", "if-member"])
def test_reserved_word_as_name(text, line, col, word):
    (d,) = formalc.diagnose(text, "t.iot")
    assert d.code == "FC101"
    assert (d.span.line, d.span.column) == (line, col)
    assert f"`{word}` is a reserved word" in d.hint


def test_reserved_word_as_name_cli(tmp_path):
    (tmp_path / "r.iot").write_text("S = {a, b}\nexists := 3\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "r.iot", cwd=tmp_path)
    assert_cli_error(p, "FC101", "r.iot:2:1")
    assert "= hint: `exists` is a reserved word; choose another name" in p.stderr


@pytest.mark.parametrize("text", [
    "check sat: true\n",
    "S = {a}\nP(forall: S) := forall = a\n",
    "S = {a}\ncheck c: ∀ sum ∈ S • true\n",
    "Container = (set: Int)\n",
], ids=["sat-as-check-name", "forall-param", "sum-binder", "set-field"])
def test_reserved_word_as_name_hint_everywhere(text):
    errs = errors(formalc.diagnose(text, "t.iot"))
    assert errs
    assert any("reserved" in _text_of(d) for d in errs), [_text_of(d) for d in errs]


# ------------------------------------------------------------------------------ types and units
def test_unit_mismatch_message():
    (d,) = diagnose_fixture("unit_mismatch.iot")
    assert d.code == "FC302"
    assert (d.span.line, d.span.column, d.span.end_column) == (2, 10, 23)  # `512MiB + 20ms`
    assert "Bytes" in d.message and "Time" in d.message


def test_unitless_number_hint():
    (d,) = diagnose_fixture("unitless.iot")
    assert d.code == "FC306" and d.span.end_column == 24
    assert "512MiB" in d.hint


def test_unknown_unit_lists_known_units():
    (d,) = diagnose_fixture("unknown_unit.iot")
    assert d.code == "FC105" and d.span.end_column == 15
    for unit in ("Mbps", "MiB", "ms"):
        assert unit in d.hint.split()


def test_unknown_field_lists_fields():
    (d,) = diagnose_fixture("unknown_field.iot")
    assert d.code == "FC205" and "memory" in d.hint


@pytest.mark.parametrize("text,code,line,col", [
    ("check c: 3\n", "FC307", 1, 10),
    ("x := 1/0\n", "FC309", 1, 8),
    ("check c: ∀ x: Int, x: Int • x = x\n", "FC310", 1, 20),
    ("Node = (cpu: CPU, memory: Bytes)\nn := Node(cpu: 2)\n", "FC311", 2, 6),
    ("S = {a, b}\ncheck c: a(1)\n", "FC304", 2, 10),
    ("P(c) := true\n", "FC305", 1, 3),
    ("Node = (cpu: CPU)\ncheck c: Node = Node\n", "FC208", 2, 10),
    ("S = {A, B}\nT = {A, C}\n", "FC207", 2, 6),
    ("Int = {a, b}\n", "FC211", 1, 1),
    ('check c: "a" < "b"\n', "FC308", 1, 10),
], ids=["not-boolean", "div-zero", "bound-twice", "missing-field", "not-callable",
        "uninferable", "type-as-value", "mixed-enum", "builtin-redeclared", "bad-operation"])
def test_other_codes(text, code, line, col):
    diags = formalc.diagnose(text, "t.iot")
    assert_well_formed(diags)
    assert (errors(diags)[0].code, errors(diags)[0].span.line, errors(diags)[0].span.column) == \
        (code, line, col)


def test_empty_enumeration(tmp_path):
    (tmp_path / "e.iot").write_text("S = {}\ncheck c: ∀ s: S • false\n", encoding="utf-8")
    p = formalc_cli("check", "--no-color", "e.iot", cwd=tmp_path)
    assert "solver error" not in p.stdout
    assert p.returncode != 3, p.stdout


# ------------------------------------------------------------------------------ robustness
def test_truncations_never_crash():
    """Every prefix of a real spec gets diagnostics with registered codes, never an exception."""
    text = (ROOT / "tests" / "fixtures" / "cli" / "violated.iot").read_text(encoding="utf-8")
    for i in range(0, len(text) + 1, 3):
        diags = formalc.diagnose(text[:i], "t.iot")
        assert_well_formed(diags)
        for d in diags:
            if d.span is not None:
                assert d.span.line <= text[:i].count("\n") + 1


def test_docs_list_exactly_the_registered_codes():
    """docs/diagnostics.md documents the closed list: every code of CODES, with its meaning,
    and no other code."""
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^### (FC\d{3})$", doc, re.M)) == set(CODES)
    table = dict(re.findall(r"^\| \[(FC\d{3})\]\(#fc\d{3}\) \| (.*) \|$", doc, re.M))
    assert table == CODES
    assert set(re.findall(r"\bFC\d{3}\b", doc)) <= set(CODES)


def test_definition_where_a_table_row_was_meant():
    text = "S = {a}\nE = {e}\nδ: S × E → S\nδ(a, e) := a\n"
    (d,) = errors(formalc.diagnose(text, "t.iot"))
    assert (d.code, d.span.line, d.span.column) == ("FC202", 4, 1)
    assert "has a signature" in d.message and "`δ(a, b) = v`" in d.hint
    assert d.notes[0][1].line == 3


def test_one_syntax_error_among_annotated_declarations_is_reported_once():
    # `@def 6.1` on its own line belongs to the statement below it: recovering from an error
    # elsewhere must not report every annotation line as an unfinished statement
    text = "@def 1.1\nA = {x, y}\n\n@def 1.2\nB := {(s: 1)}\n\n@def 1.3\ncheck c: |A| = 2\n"
    diags = formalc.diagnose(text, "ann.iot")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("FC101", 5, 9)]
