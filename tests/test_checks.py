"""Verdicts, counterexample values, explanations and units, through the library API."""
from fractions import Fraction

import pytest

import formalc
from formalc import Verdict

VM = """
Runtime = {Runc, Crun, Kata, Firecracker, GVisor}
Capability = {SYS_ADMIN, NET_ADMIN, CHOWN, SYS_PTRACE}
Dangerous = {SYS_ADMIN, SYS_PTRACE}
Container = (runtime: Runtime, privileged: Bool, caps: set Capability, memory: Bytes)
HardwareIsolation(c: Container) := c.runtime ∈ {Kata, Firecracker}
KernelIsolation(c: Container) := c.runtime ∈ {Kata, GVisor}
Security_VM(c: Container) := HardwareIsolation(c) ∧ KernelIsolation(c)
IsolationLevel(c: Container) := |Capability \\ c.caps| / |Capability|
"""


def run(text, name):
    return formalc.check(formalc.loads(VM + text)).result(name)


def test_validity_proved():
    r = run("check k: ∀ c: Container • c.runtime = Kata ⇒ Security_VM(c)", "k")
    assert r.verdict is Verdict.PROVED and r.counterexample is None


def test_validity_violated_names_the_false_conjunct():
    r = run("check f: ∀ c: Container • c.runtime = Firecracker ⇒ Security_VM(c)", "f")
    assert r.verdict is Verdict.VIOLATED
    assert r.counterexample["c.runtime"] == "Firecracker"
    formulas = [b.formula for b in r.blame]
    assert "KernelIsolation(c)" in formulas and "HardwareIsolation(c)" not in formulas
    leaf = r.blame[-1]
    assert leaf.formula == "c.runtime ∈ {Kata, GVisor}" and leaf.value == "false"
    assert "c.runtime = Firecracker" in leaf.detail


def test_sat_gives_witness_and_unsat_is_violated():
    r = run("check sat w: ∃ c: Container • Security_VM(c) ∧ c.memory ≤ 128MiB ∧ c.memory > 64MiB", "w")
    assert r.verdict is Verdict.SATISFIED
    assert r.witness["c.runtime"] == "Kata"
    assert 64 * 2**20 < r.witness["c.memory"] <= 128 * 2**20
    r = run("check sat none: ∃ c: Container • Security_VM(c) ∧ c.runtime = GVisor", "none")
    assert r.verdict is Verdict.VIOLATED and r.model == () and "no value" in r.reason


def test_metric_is_an_exact_rational():
    r = run("check sat lvl: ∃ c: Container • IsolationLevel(c) = 3/4", "lvl")
    assert r.verdict is Verdict.SATISFIED and len(r.witness["c.caps"]) == 1
    r = run("check bounded: ∀ c: Container • 0 ≤ IsolationLevel(c) ∧ IsolationLevel(c) ≤ 1", "bounded")
    assert r.verdict is Verdict.PROVED
    r = run("check strict: ∀ c: Container • IsolationLevel(c) < 1", "strict")
    assert r.verdict is Verdict.VIOLATED and r.counterexample["c.caps"] == []


def test_set_operations_and_cardinality():
    text = """
    check s1: |Dangerous ∪ {CHOWN}| = 3
    check s2: Dangerous ∩ {CHOWN} = {}
    check s3: Dangerous ⊆ Capability \\ {CHOWN}
    check s4: SYS_ADMIN ∈ Dangerous ∧ CHOWN ∉ Dangerous
    check s5: ∀ c: Container • c.caps ∩ Dangerous = {} ⇒ SYS_ADMIN ∉ c.caps
    check s6: |{x ∈ Capability | x ∉ Dangerous}| = 2
    """
    report = formalc.check(formalc.loads(VM + text))
    assert {r.check: r.verdict for r in report.results} == {f"s{i}": Verdict.PROVED for i in range(1, 7)}


def test_sum_over_instances_with_units():
    text = """
    Node = (name: String, cpu: CPU, memory: Bytes)
    n1 := Node(name: "a", cpu: 2, memory: 4GiB)
    n2 := Node(name: "b", cpu: 500m, memory: 512MiB)
    n3 := Node(name: "c", cpu: 500m, memory: 512MiB)
    Fleet := {n1, n2, n3}
    check cpu: (Σ n ∈ Fleet • n.cpu) = 3
    check mem: (Σ n ∈ Fleet, n.cpu < 1 • n.memory) = 1GiB
    check too_much: (Σ n ∈ Fleet • n.memory) ≤ 4GiB
    check ratio: n2.memory / n1.memory = 1/8
    check bw: 100Mbps × 2s = 25MB
    """
    report = formalc.check(formalc.loads(VM + text))
    v = {r.check: r for r in report.results}
    assert v["cpu"].verdict is Verdict.PROVED
    assert v["mem"].verdict is Verdict.PROVED
    assert v["too_much"].verdict is Verdict.VIOLATED
    assert "5GiB" in v["too_much"].blame[0].detail
    assert v["ratio"].verdict is Verdict.PROVED and v["bw"].verdict is Verdict.PROVED


def test_identical_instances_are_one_set_element():
    r = formalc.check(formalc.loads(
        "N = (cpu: CPU)\na := N(cpu: 1)\nb := N(cpu: 1)\ncheck one: |{a, b}| = 1")).result("one")
    assert r.verdict is Verdict.PROVED


def test_function_table():
    text = """
    States = {Created, Running, Stopped}
    Events = {start, stop}
    δ: States × Events → States
    δ(Created, start) = Running
    δ(Running, stop) = Stopped
    check comp: δ(δ(Created, start), stop) = Stopped
    check tot: total(δ)
    check any: ∀ s: States • δ(s, stop) = Stopped
    """
    report = formalc.check(formalc.loads(text))
    assert report.result("comp").verdict is Verdict.PROVED
    tot = report.result("tot")
    assert tot.verdict is Verdict.VIOLATED and "4 of 6 rows are missing" in tot.blame[0].detail
    anyr = report.result("any")
    # unlisted pairs are unconstrained: the counterexample picks one
    assert anyr.verdict is Verdict.VIOLATED and anyr.counterexample["s"] in ("Created", "Stopped")


def test_uninterpreted_sorts_and_predicates():
    text = """
    Box = (Image, Runtime, Namespace)
    Hw: Box → Bool
    Kn: Box → Bool
    Sec(c: Box) := Hw(c) ∧ Kn(c)
    check weaker: ∀ c: Box • Sec(c) ⇒ Hw(c)
    check stronger: ∀ c: Box • Hw(c) ⇒ Sec(c)
    """
    report = formalc.check(formalc.loads(text))
    assert report.result("weaker").verdict is Verdict.PROVED
    s = report.result("stronger")
    assert s.verdict is Verdict.VIOLATED
    assert s.counterexample["Hw(c)"] is True and s.counterexample["Kn(c)"] is False
    assert s.counterexample["c.Image"].startswith("Image#")


def test_assumptions_are_used_and_contradictions_are_not_proofs():
    r = formalc.check(formalc.loads(
        "x: Int\nassume pos: x > 0\ncheck c: x ≥ 1")).result("c")
    assert r.verdict is Verdict.PROVED and r.assumptions == ("pos",)
    r = formalc.check(formalc.loads(
        "x: Int\nassume a: x > 0\nassume b: x < 0\ncheck c: x = 42")).result("c")
    assert r.verdict is Verdict.UNKNOWN and "contradict" in r.reason


def test_timeout_is_unknown_not_a_pass():
    text = "check hard: ∀ x: Int, y: Int, z: Int • x > 0 ∧ y > 0 ∧ z > 0 ⇒ x × x × x + y × y × y ≠ z × z × z"
    r = formalc.check(formalc.loads(text), timeout=0.3).result("hard")
    assert r.verdict is Verdict.UNKNOWN and r.reason


def test_ascii_and_unicode_give_the_same_model():
    uni = VM + "check k: ∀ c: Container • c.runtime ∈ {Kata} ∧ ¬c.privileged ⇒ Security_VM(c) ∨ c.memory ≥ 1GiB"
    asc = VM + "check k: forall c: Container :: c.runtime in {Kata} and not c.privileged => Security_VM(c) or c.memory >= 1GiB"
    assert formalc.loads(uni) == formalc.loads(asc)


def test_untyped_parameter_is_inferred():
    spec = formalc.loads(VM + "Lvl(c) := IsolationLevel(c)\ncheck t: ∀ c: Container • Lvl(c) ≤ 1")
    assert str(spec.definitions["Lvl"].params[0][1]) == "Container"
    assert formalc.check(spec).result("t").verdict is Verdict.PROVED
    # a field access alone does not say which tuple type is meant
    with pytest.raises(formalc.SpecError) as e:
        formalc.loads(VM + "Iso(c) := |c.caps|")
    d = e.value.diagnostics[0]
    assert d.code == "FC305" and d.span.line == 10 and d.span.column == 5


def test_select_and_determinism():
    spec = formalc.loads(VM + "check aa: ∀ c: Container • Security_VM(c)\ncheck bb: 1 = 1")
    assert [r.check for r in formalc.check(spec, select=["aa"]).results] == ["aa"]
    one = formalc.check(spec).to_json()
    two = formalc.check(spec).to_json()
    for d in (one, two):
        for r in d["results"]:
            r.pop("time_ms")
    assert one == two


def test_json_values_are_plain():
    r = run("check sat lvl: ∃ c: Container • IsolationLevel(c) = 1/2 ∧ c.memory = 1.5GiB", "lvl")
    assert r.witness["c.memory"] == Fraction(3 * 2**29)
    j = {b["name"]: b for b in r.to_json()["witness"]}
    assert j["c.memory"]["text"] == "1536MiB"


def test_shadowed_binders_are_distinct_variables():
    # regression: a third nested `v` once shared the constant of the second, whose domain is
    # disjoint from it, and the contradiction "proved" a false formula
    spec = formalc.loads("C = {R, G, B}\nP := {R, B}\n"
                         "check f: ∀ v ∈ {R} • ∀ v ∈ P • ∀ v ∈ {G} • false\n"
                         "check sat g: ∃ v ∈ {R} • ∃ v ∈ P • ∃ v ∈ {G} • v = G")
    report = formalc.check(spec)
    f = report.result("f")
    assert f.verdict is Verdict.VIOLATED
    assert f.counterexample == {"v": "R", "v'": f.counterexample["v'"], "v''": "G"}
    assert f.counterexample["v'"] in ("R", "B")
    assert report.result("g").verdict is Verdict.SATISFIED


def test_a_bound_variable_cannot_take_a_declared_constant_s_name():
    # it once silently became the declared constant (and `assume x > 5` leaked into the
    # quantifier); now binding a declared name is an error
    diags = formalc.diagnose("x: Int\nassume a: x > 5\ncheck c: ∀ x: Int • x > 5")
    assert [(d.code, d.span.line) for d in diags if d.is_error] == [("FC310", 3)]


def test_a_declared_name_in_a_binder_list_is_a_condition():
    # regression: `Blue ∈ i.tags` after the binder was read as a second binder named Blue
    spec = formalc.loads("C = {Red, Blue}\nItem = (n: Int, tags: set C)\n"
                         "a := Item(n: 1, tags: {Red})\nb := Item(n: 2, tags: {Red, Blue})\n"
                         "Items := {a, b}\n"
                         "check none: |{i ∈ Items | Blue ∈ i.tags}| = 1\n"
                         "check total_n: (Σ i ∈ Items, Red ∈ i.tags • i.n) = 3")
    report = formalc.check(spec)
    assert report.result("none").verdict is Verdict.PROVED
    assert report.result("total_n").verdict is Verdict.PROVED


def test_binding_a_declared_name_is_an_error():
    (d,) = [x for x in formalc.diagnose("C = {Red, Blue}\ncheck ∀ Red ∈ C • true") if x.is_error]
    assert d.code == "FC310" and (d.span.line, d.span.column) == (2, 9)
    assert "enumeration member" in d.message


def test_proved_thresholds_report_the_measured_value():
    r = run("k := Container(runtime: Kata, privileged: false, caps: {CHOWN}, memory: 1GiB)\n"
            "check t: IsolationLevel(k) ≥ 1/2 ∧ k.memory ≤ 2GiB", "t")
    assert r.verdict is Verdict.PROVED
    assert [(b.name, b.value, b.text) for b in r.values] == [
        ("IsolationLevel(k)", Fraction(3, 4), "3/4"), ("k.memory", 2**30, "1GiB")]
    assert r.to_json()["values"][0] == {"name": "IsolationLevel(k)", "value": "3/4", "text": "3/4"}


def test_assumption_consistency_belongs_to_each_spec():
    # regression guard: the answer was once cached under id(spec), which CPython reuses for a
    # new spec after the old one is freed, so contradictory assumptions could pass as proof
    import gc
    ok = "x: Int\nassume a: x > 0\ncheck c: x > -1\n"
    bad = "x: Int\nassume a: x > 0\nassume b: x < 0\ncheck c: x > -1\n"
    for _ in range(20):
        assert formalc.check(formalc.loads(ok)).result("c").verdict is Verdict.PROVED
        gc.collect()
        r = formalc.check(formalc.loads(bad)).result("c")
        assert r.verdict is Verdict.UNKNOWN and "contradict" in r.reason


def test_a_proof_that_needs_no_assumption_stands():
    r = formalc.check(formalc.loads("x: Int\ny: Int\nassume a: y > 0\ncheck c: x = x")).result("c")
    assert r.verdict is Verdict.PROVED and r.assumptions == () and r.reason is None
