"""Differential test of the Z3 encoding: random closed formulas over small finite domains are
decided by formalc and by a naive evaluator written here, independently of the encoder; a
proved check must be true and a violated one false (and nothing may be unknown)."""
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formalc
from formalc import Verdict

PRELUDE = "Color = {Red, Green, Blue, Gray}\nPalette := {Red, Blue}\n"
MEMBERS = ["Red", "Green", "Blue", "Gray"]
ENV0 = {"Palette": frozenset({"Red", "Blue"}), "Color": frozenset(MEMBERS)}


# Each generator returns (text, evaluator): evaluator(env) -> Python value.
def ints(depth, bound=False):
    leaf = st.integers(-3, 9).map(lambda n: (f"({n})" if n < 0 else str(n), lambda env, n=n: n))
    if depth <= 0:
        return leaf
    sub = ints(depth - 1, bound)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "×"]), sub).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]:
                       {"+": a(env) + b(env), "-": a(env) - b(env), "×": a(env) * b(env)}[op])),
        sets(depth - 1, bound).map(lambda s: (f"|{s[0]}|", lambda env, f=s[1]: len(f(env)))),
        st.tuples(sets(depth - 1, bound), ints(depth - 1, True)).map(
            lambda t: (f"(Σ v ∈ {t[0][0]} • {t[1][0]})",
                       lambda env, s=t[0][1], b=t[1][1]:
                       sum(b({**env, "v": x}) for x in s(env)))),
    )


def colors(depth, bound=False):
    consts = st.sampled_from(MEMBERS).map(lambda m: (m, lambda env, m=m: m))
    if not bound:
        return consts
    return st.one_of(consts, st.just(("v", lambda env: env["v"])))


def sets(depth, bound=False):
    lit = st.lists(st.sampled_from(MEMBERS), max_size=4).map(
        lambda ms: ("{" + ", ".join(ms) + "}" if ms else "({} ∩ Palette)",
                    lambda env, ms=ms: frozenset(ms)))
    named = st.sampled_from(["Palette", "Color"]).map(lambda n: (n, lambda env, n=n: env[n]))
    if depth <= 0:
        return st.one_of(lit, named)
    sub = sets(depth - 1, bound)
    return st.one_of(
        lit, named,
        st.tuples(sub, st.sampled_from(["∪", "∩", "\\"]), sub).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]:
                       {"∪": a(env) | b(env), "∩": a(env) & b(env), "\\": a(env) - b(env)}[op])),
        st.tuples(sub, bools(depth - 1, True)).map(
            lambda t: (f"{{v ∈ {t[0][0]} | {t[1][0]}}}",
                       lambda env, s=t[0][1], p=t[1][1]:
                       frozenset(x for x in s(env) if p({**env, "v": x})))),
    )


def bools(depth, bound=False):
    leaf = st.sampled_from([("true", lambda env: True), ("false", lambda env: False)])
    if depth <= 0:
        return leaf
    sub = bools(depth - 1, bound)
    cmp = st.tuples(ints(depth - 1, bound), st.sampled_from(["=", "≠", "<", "≤", ">", "≥"]),
                    ints(depth - 1, bound)).map(
        lambda t: (f"{t[0][0]} {t[1]} {t[2][0]}",
                   lambda env, a=t[0][1], op=t[1], b=t[2][1]: {
                       "=": a(env) == b(env), "≠": a(env) != b(env), "<": a(env) < b(env),
                       "≤": a(env) <= b(env), ">": a(env) > b(env), "≥": a(env) >= b(env)}[op]))
    ratio = st.tuples(ints(depth - 1, bound), st.integers(1, 5), st.fractions(-2, 2, max_denominator=4)).map(
        lambda t: (f"{t[0][0]} / {t[1]} ≤ {t[2].numerator}/{t[2].denominator}"
                   if t[2] >= 0 else f"{t[0][0]} / {t[1]} ≤ -({-t[2].numerator}/{t[2].denominator})",
                   lambda env, a=t[0][1], d=t[1], q=t[2]: Fraction(a(env), d) <= q))
    member = st.tuples(colors(depth - 1, bound), st.sampled_from(["∈", "∉"]), sets(depth - 1, bound)).map(
        lambda t: (f"{t[0][0]} {t[1]} {t[2][0]}",
                   lambda env, c=t[0][1], op=t[1], s=t[2][1]:
                   (c(env) in s(env)) == (op == "∈")))
    subset = st.tuples(sets(depth - 1, bound), sets(depth - 1, bound)).map(
        lambda t: (f"{t[0][0]} ⊆ {t[1][0]}", lambda env, a=t[0][1], b=t[1][1]: a(env) <= b(env)))
    seteq = st.tuples(sets(depth - 1, bound), sets(depth - 1, bound)).map(
        lambda t: (f"{t[0][0]} = {t[1][0]}", lambda env, a=t[0][1], b=t[1][1]: a(env) == b(env)))
    conn = st.tuples(sub, st.sampled_from(["∧", "∨", "⇒", "⇔"]), sub).map(
        lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                   lambda env, a=t[0][1], op=t[1], b=t[2][1]: {
                       "∧": a(env) and b(env), "∨": a(env) or b(env),
                       "⇒": (not a(env)) or b(env), "⇔": a(env) == b(env)}[op]))
    neg = sub.map(lambda s: (f"¬({s[0]})", lambda env, f=s[1]: not f(env)))
    quant = st.tuples(st.sampled_from(["∀", "∃"]), sets(depth - 1, bound),
                      bools(depth - 1, True)).map(
        lambda t: (f"({t[0]} v ∈ {t[1][0]} • {t[2][0]})",
                   lambda env, q=t[0], s=t[1][1], p=t[2][1]:
                   (all if q == "∀" else any)(p({**env, "v": x}) for x in s(env))))
    ite = st.tuples(sub, sub, sub).map(
        lambda t: (f"(if {t[0][0]} then {t[1][0]} else {t[2][0]})",
                   lambda env, c=t[0][1], a=t[1][1], b=t[2][1]: a(env) if c(env) else b(env)))
    return st.one_of(leaf, cmp, ratio, member, subset, seteq, conn, neg, quant, ite)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bools(3))
def test_encoder_agrees_with_a_naive_evaluator(formula):
    text, evaluate = formula
    expected = evaluate(dict(ENV0))
    spec = formalc.loads(PRELUDE + f"check f: {text}\ncheck sat g: {text}\n", "diff.iot")
    report = formalc.check(spec, timeout=10)
    valid, sat = report.result("f"), report.result("g")
    # a closed formula is valid exactly when it is true, and satisfiable exactly then too
    assert valid.verdict is (Verdict.PROVED if expected else Verdict.VIOLATED), (text, valid.reason)
    assert sat.verdict is (Verdict.SATISFIED if expected else Verdict.VIOLATED), (text, sat.reason)


# ----------------------------------------------------------------------------- tuples, tables
RICH = PRELUDE + """Item = (name: Color, size: Int, tags: set Color)
i1 := Item(name: Red, size: 3, tags: {Red, Green})
i2 := Item(name: Blue, size: 5, tags: {})
i3 := Item(name: Green, size: 3, tags: {Green, Red})
i4 := Item(name: Red, size: 3, tags: {Red, Green})
Items := {i1, i2, i3, i4}
warm: Color → Bool
warm(Red) = true
warm(Green) = false
warm(Blue) = false
warm(Gray) = true
Big(x: Item) := x.size > 3
Weight(c: Color) := if warm(c) then 2 else 1
"""
ITEMS = {"i1": ("Red", 3, frozenset({"Red", "Green"})), "i2": ("Blue", 5, frozenset()),
         "i3": ("Green", 3, frozenset({"Green", "Red"})), "i4": ("Red", 3, frozenset({"Red", "Green"}))}
WARM = {"Red": True, "Green": False, "Blue": False, "Gray": True}
# tuples are values: i1 and i4 are the same element of Items
ITEM_SET = frozenset(ITEMS.values())


def item(bound):
    consts = st.sampled_from(sorted(ITEMS)).map(lambda n: (n, lambda env, n=n: ITEMS[n]))
    return st.one_of(consts, st.just(("i", lambda env: env["i"]))) if bound else consts


def rich_color(bound_v, bound_i):
    base = colors(1, bound_v)
    return st.one_of(base, item(bound_i).map(lambda t: (f"{t[0]}.name", lambda env, f=t[1]: f(env)[0])))


def rich_int(depth, bv, bi):
    leaf = st.one_of(
        st.integers(0, 6).map(lambda n: (str(n), lambda env, n=n: n)),
        item(bi).map(lambda t: (f"{t[0]}.size", lambda env, f=t[1]: f(env)[1])),
        rich_color(bv, bi).map(lambda t: (f"Weight({t[0]})",
                                          lambda env, f=t[1]: 2 if WARM[f(env)] else 1)))
    if depth <= 0:
        return leaf
    return st.one_of(
        leaf,
        st.tuples(rich_int(depth - 1, bv, bi), st.sampled_from(["+", "-", "×"]),
                  rich_int(depth - 1, bv, bi)).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]:
                       {"+": a(env) + b(env), "-": a(env) - b(env), "×": a(env) * b(env)}[op])),
        rich_bool(depth - 1, bv, True).map(
            lambda p: (f"|{{i ∈ Items | {p[0]}}}|",
                       lambda env, f=p[1]: sum(1 for x in ITEM_SET if f({**env, "i": x})))),
        rich_int(depth - 1, bv, True).map(
            lambda b: (f"(Σ i ∈ Items • {b[0]})",
                       lambda env, f=b[1]: sum(f({**env, "i": x}) for x in ITEM_SET))),
    )


def rich_bool(depth, bv=False, bi=False):
    leaf = st.one_of(
        item(bi).map(lambda t: (f"Big({t[0]})", lambda env, f=t[1]: f(env)[1] > 3)),
        rich_color(bv, bi).map(lambda t: (f"warm({t[0]})", lambda env, f=t[1]: WARM[f(env)])),
        st.tuples(rich_color(bv, bi), item(bi)).map(
            lambda t: (f"{t[0][0]} ∈ {t[1][0]}.tags",
                       lambda env, c=t[0][1], x=t[1][1]: c(env) in x(env)[2])),
        st.tuples(item(bi), item(bi)).map(
            lambda t: (f"{t[0][0]} = {t[1][0]}", lambda env, a=t[0][1], b=t[1][1]: a(env) == b(env))),
    )
    if depth <= 0:
        return leaf
    sub = rich_bool(depth - 1, bv, bi)
    return st.one_of(
        leaf,
        st.tuples(rich_int(depth - 1, bv, bi), st.sampled_from(["=", "<", "≥"]),
                  rich_int(depth - 1, bv, bi)).map(
            lambda t: (f"{t[0][0]} {t[1]} {t[2][0]}",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]:
                       {"=": a(env) == b(env), "<": a(env) < b(env), "≥": a(env) >= b(env)}[op])),
        st.tuples(sub, st.sampled_from(["∧", "∨", "⇒"]), sub).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]: {
                           "∧": a(env) and b(env), "∨": a(env) or b(env),
                           "⇒": (not a(env)) or b(env)}[op])),
        st.tuples(st.sampled_from(["∀", "∃"]), rich_bool(depth - 1, bv, True)).map(
            lambda t: (f"({t[0]} i ∈ Items • {t[1][0]})",
                       lambda env, q=t[0], p=t[1][1]:
                       (all if q == "∀" else any)(p({**env, "i": x}) for x in ITEM_SET))),
        st.tuples(st.sampled_from(["∀", "∃"]), rich_bool(depth - 1, True, bi)).map(
            lambda t: (f"({t[0]} v: Color • {t[1][0]})",
                       lambda env, q=t[0], p=t[1][1]:
                       (all if q == "∀" else any)(p({**env, "v": c}) for c in MEMBERS))),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rich_bool(3), min_size=1, max_size=4))
def test_tuples_tables_and_definitions_agree_with_a_naive_evaluator(formulas):
    """Several checks in one spec share one encoder session (and its memo tables): each must
    still get its own right answer."""
    text = RICH + "".join(f"check f{k}: {f}\n" for k, (f, _) in enumerate(formulas))
    report = formalc.check(formalc.loads(text, "rich.iot"), timeout=10)
    for k, (f, evaluate) in enumerate(formulas):
        expected = evaluate({})
        r = report.result(f"f{k}")
        assert r.verdict is (Verdict.PROVED if expected else Verdict.VIOLATED), (f, r.reason)


# ----------------------------------------------------------------------------- quantities
UNIT = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "KB": 1000, "MB": 10 ** 6}  # bytes
MEM = ["m1", "m2"]
MEM_PRELUDE = "Box = (name: String, mem: Bytes)\nm1 := Box(name: \"a\", mem: 3MiB)\n" \
              "m2 := Box(name: \"b\", mem: 1500KB)\nBoxes := {m1, m2}\n"
MEM_VAL = {"m1": 3 * 1024 ** 2, "m2": 1500 * 1000}


def byte_terms(depth):
    lit = st.tuples(st.integers(0, 2000), st.sampled_from(sorted(UNIT))).map(
        lambda t: (f"{t[0]}{t[1]}", lambda env, v=t[0] * UNIT[t[1]]: Fraction(v)))
    field = st.sampled_from(MEM).map(lambda n: (f"{n}.mem", lambda env, n=n: Fraction(MEM_VAL[n])))
    total = st.just(("(Σ b ∈ Boxes • b.mem)", lambda env: Fraction(sum(MEM_VAL.values()))))
    if depth <= 0:
        return st.one_of(lit, field, total)
    sub = byte_terms(depth - 1)
    return st.one_of(
        lit, field, total,
        st.tuples(sub, st.sampled_from(["+", "-"]), sub).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                       lambda env, a=t[0][1], op=t[1], b=t[2][1]: a(env) + b(env) if op == "+"
                       else a(env) - b(env))),
        st.tuples(sub, st.integers(1, 4), st.booleans()).map(
            lambda t: (f"({t[0][0]} × {t[1]})" if t[2] else f"({t[0][0]} / {t[1]})",
                       lambda env, a=t[0][1], k=t[1], mul=t[2]: a(env) * k if mul else a(env) / k)),
    )


def byte_facts():
    cmp = st.tuples(byte_terms(2), st.sampled_from(["=", "<", "≤", "≥"]), byte_terms(2)).map(
        lambda t: (f"{t[0][0]} {t[1]} {t[2][0]}",
                   lambda a=t[0][1], op=t[1], b=t[2][1]: {
                       "=": a({}) == b({}), "<": a({}) < b({}), "≤": a({}) <= b({}),
                       "≥": a({}) >= b({})}[op]))
    ratio = st.tuples(byte_terms(1), st.sampled_from(["m1", "m2"]), st.fractions(0, 3, max_denominator=8)).map(
        lambda t: (f"{t[0][0]} / {t[1]}.mem ≤ {t[2].numerator}/{t[2].denominator}",
                   lambda a=t[0][1], n=t[1], q=t[2]: a({}) / MEM_VAL[n] <= q))
    return st.one_of(cmp, ratio)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(byte_facts(), min_size=1, max_size=4))
def test_quantity_arithmetic_agrees_with_exact_fractions(facts):
    text = MEM_PRELUDE + "".join(f"check q{k}: {f}\n" for k, (f, _) in enumerate(facts))
    report = formalc.check(formalc.loads(text, "units.iot"), timeout=10)
    for k, (f, evaluate) in enumerate(facts):
        r = report.result(f"q{k}")
        assert r.verdict is (Verdict.PROVED if evaluate() else Verdict.VIOLATED), (f, r.reason)
