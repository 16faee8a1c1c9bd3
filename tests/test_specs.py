"""The bundled specs: every check holds, and a deliberately broken variant of each spec file
makes a named check come out violated (so the checks can fail)."""
from pathlib import Path

import pytest

import formalc
from formalc import Verdict

from mutations import MUTATIONS  # tests/ is on sys.path (rootdir import mode)

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.iot"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_bundled_spec_checks_hold(path):
    report = formalc.check(formalc.load(path))
    assert report.results, f"{path.name} has no checks"
    bad = [(r.check, r.verdict.value, r.reason) for r in report.results if not r.verdict.holds]
    assert not bad


def test_every_spec_file_has_a_broken_variant():
    covered = {m["file"] for m in MUTATIONS}
    missing = [p.name for p in SPECS if f"specs/{p.name}" not in covered]
    assert not missing


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m['file']}::{m['check']}")
def test_broken_variant_is_violated(mutation, tmp_path):
    path = ROOT / mutation["file"]
    text = path.read_text(encoding="utf-8")
    assert text.count(mutation["find"]) >= 1, "the mutation no longer applies"
    broken = text.replace(mutation["find"], mutation["replace"], 1)
    spec = formalc.loads(broken, name=f"broken-{path.name}", base=path.parent)
    before = formalc.check(formalc.load(path), select=[mutation["check"]])
    after = formalc.check(spec, select=[mutation["check"]])
    original = [r for r in before.results if r.check == mutation["check"]]
    mutated = [r for r in after.results if r.check == mutation["check"]]
    assert original and original[0].verdict.holds
    assert mutated and mutated[0].verdict is Verdict.VIOLATED
