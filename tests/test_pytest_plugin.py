"""The pytest plugin: .iot checks as test items, selected with -k, failures as formalc reports."""
import pytest

SPEC = """
Runtime = {Runc, Kata, GVisor}
Container = (runtime: Runtime, privileged: Bool)
Hw(c: Container) := c.runtime = Kata
check kata_is_hw: ∀ c: Container • c.runtime = Kata ⇒ Hw(c)
check all_hw: ∀ c: Container • Hw(c)
check sat some_privileged: ∃ c: Container • c.privileged
"""


@pytest.fixture
def project(pytester):
    pytester.makefile(".iot", policy=SPEC)
    return pytester


def test_off_by_default(project):
    result = project.runpytest()
    result.assert_outcomes()  # nothing collected without --formalc
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_each_check_is_an_item(project):
    result = project.runpytest("--formalc", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*policy.iot::kata_is_hw PASSED*",
                                 "*policy.iot::all_hw FAILED*",
                                 "*policy.iot::some_privileged PASSED*"])


def test_failure_shows_the_formalc_report(project):
    result = project.runpytest("--formalc")
    out = result.stdout.str()
    assert "✘ violated  all_hw" in out
    assert "c.runtime" in out and "Runc" in out  # the counterexample value
    assert "why:" in out and "Hw(c)  is false" in out
    assert "Traceback" not in out and "def runtest" not in out


def test_k_selects_one_check(project):
    result = project.runpytest("--formalc", "-k", "kata_is_hw")
    result.assert_outcomes(passed=1, deselected=2)


def test_ini_option_opts_in(project):
    project.makeini("[pytest]\nformalc = true\n")
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)


def test_spec_errors_are_one_failing_item(pytester):
    pytester.makefile(".iot", broken="check x: Runing = 1\n")
    result = pytester.runpytest("--formalc")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*error[[]FC201[]]: unknown name `Runing`*"])


def test_fixture_asserts_a_check(project):
    project.makepyfile(test_mine="""
def test_holds(formalc_check):
    r = formalc_check("policy.iot", "kata_is_hw")
    assert r.verdict.value == "proved"

def test_fails(formalc_check):
    formalc_check("policy.iot", "all_hw")
""")
    result = project.runpytest("test_mine.py")
    result.assert_outcomes(passed=1, failed=1)
    assert "✘ violated  all_hw" in result.stdout.str()
