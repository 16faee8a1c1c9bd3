"""Generated machines and properties for the differential tests of the two machine engines
(tests/test_machine_differential.py), and an independent oracle for the runs they return.

- :func:`specs` is a Hypothesis strategy for a :class:`GenSpec`: the text of one `.iot` spec
  with one machine (basic, or a composition of a generated basic machine) and a list of
  generated properties. A property is kept twice: as text (it goes through the front end) and as
  a small tuple tree of our own (evaluated here on runs, independently of both engines).
- :func:`replay` checks that a run returned by an engine is a run of the transition system:
  step 0 initial, each step the transition it claims (guard true, updates applied, the rest
  unchanged) or the stutter of a deadlock, the loop of a lasso closed by an enabled transition
  or a stutter, and (optionally) the loop weakly fair.
- :func:`holds_on_lasso` / :func:`holds_on_path` evaluate a property tree on a lasso (infinite
  run) or at a position of a finite path (formulas of bounded horizon only).

Nothing here imports an engine: guards and updates are evaluated with
:func:`formalc.machines.evaluate.evaluate`, atoms of properties with Python functions written
next to their text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from formalc.machines.evaluate import evaluate
from formalc.model.machines import STATE, count_var

# ------------------------------------------------------------------------------ property trees
# ("atom", text, fn) | ("not", a) | ("and", a, b) | ("or", a, b) | ("imp", a, b)
# | ("X", a) | ("G", a) | ("F", a) | ("Gk", k, a) | ("Fk", k, a) | ("U", a, b) | ("LT", a, b)
# | ("struct", name)


def render(f) -> str:
    op = f[0]
    if op == "atom":
        return f[1]
    if op == "struct":
        return f[1]
    if op == "not":
        return f"¬({render(f[1])})"
    if op in ("and", "or", "imp"):
        sym = {"and": "∧", "or": "∨", "imp": "⇒"}[op]
        return f"({render(f[1])}) {sym} ({render(f[2])})"
    if op == "X":
        return f"next ({render(f[1])})"
    if op == "G":
        return f"always ({render(f[1])})"
    if op == "F":
        return f"eventually ({render(f[1])})"
    if op == "Gk":
        return f"always within {f[1]} ({render(f[2])})"
    if op == "Fk":
        return f"eventually within {f[1]} ({render(f[2])})"
    if op == "U":
        return f"({render(f[1])}) until ({render(f[2])})"
    if op == "LT":
        return f"({render(f[1])}) ~> ({render(f[2])})"
    raise ValueError(op)


def wrap(f) -> str:
    """Property text for the right of ⊨ (parenthesised unless atomic or structural)."""
    return render(f) if f[0] in ("atom", "struct") else f"({render(f)})"


def temporal_ops(f) -> set:
    if f[0] in ("atom", "struct"):
        return set()
    out = {f[0]} if f[0] not in ("not", "and", "or", "imp") else set()
    for x in f[1:]:
        if isinstance(x, tuple):
            out |= temporal_ops(x)
    return out


def horizon(f):
    """Steps of lookahead of a formula, None when unbounded."""
    op = f[0]
    if op == "atom":
        return 0
    if op in ("G", "F", "U", "LT"):
        return None
    if op == "X":
        h = horizon(f[1])
        return None if h is None else h + 1
    if op in ("Gk", "Fk"):
        h = horizon(f[2])
        return None if h is None else h + f[1]
    hs = [horizon(x) for x in f[1:]]
    return None if any(h is None for h in hs) else max(hs)


def _bool(op, vals):
    if op == "not":
        return not vals[0]
    if op == "and":
        return vals[0] and vals[1]
    if op == "or":
        return vals[0] or vals[1]
    if op == "imp":
        return (not vals[0]) or vals[1]
    raise ValueError(op)


def holds_on_path(f, states: list, i: int) -> bool:
    """``f`` (bounded horizon) at position ``i`` of the finite path ``states``; raises
    IndexError when the path is too short to decide it."""
    op = f[0]
    if op == "atom":
        return bool(f[2](states[i]))
    if op in ("not", "and", "or", "imp"):
        return _bool(op, [holds_on_path(x, states, i) for x in f[1:]])
    if op == "X":
        if i + 1 >= len(states):
            raise IndexError("path too short")
        return holds_on_path(f[1], states, i + 1)
    if op in ("Gk", "Fk"):
        if i + f[1] >= len(states):
            raise IndexError("path too short")
        vals = [holds_on_path(f[2], states, j) for j in range(i, i + f[1] + 1)]
        return all(vals) if op == "Gk" else any(vals)
    raise ValueError(f"unbounded operator {op} on a finite path")


def holds_on_lasso(f, states: list, loop: int) -> bool:
    """``f`` at position 0 of the infinite run ``states[0..loop-1] (states[loop..])^ω``."""
    n = len(states)
    succ = [i + 1 if i < n - 1 else loop for i in range(n)]

    def vec(g) -> list[bool]:
        op = g[0]
        if op == "atom":
            return [bool(g[2](s)) for s in states]
        if op in ("not", "and", "or", "imp"):
            vs = [vec(x) for x in g[1:]]
            return [_bool(op, [v[i] for v in vs]) for i in range(n)]
        if op == "X":
            a = vec(g[1])
            return [a[succ[i]] for i in range(n)]
        if op in ("Gk", "Fk"):
            a = vec(g[2])
            out = []
            for i in range(n):
                p, vals = i, []
                for _ in range(g[1] + 1):
                    vals.append(a[p])
                    p = succ[p]
                out.append(all(vals) if op == "Gk" else any(vals))
            return out
        if op == "F":
            a = vec(g[1])
            return _lfp(lambda v, i: a[i] or v[succ[i]], n)
        if op == "G":
            a = vec(g[1])
            return _gfp(lambda v, i: a[i] and v[succ[i]], n)
        if op == "U":
            a, b = vec(g[1]), vec(g[2])
            return _lfp(lambda v, i: b[i] or (a[i] and v[succ[i]]), n)
        if op == "LT":
            a, b = vec(g[1]), vec(g[2])
            fb = _lfp(lambda v, i: b[i] or v[succ[i]], n)
            return _gfp(lambda v, i: ((not a[i]) or fb[i]) and v[succ[i]], n)
        raise ValueError(op)

    return vec(f)[0]


def _lfp(step, n):
    v = [False] * n
    for _ in range(n + 2):
        v = [step(v, i) for i in range(n)]
    return v


def _gfp(step, n):
    v = [True] * n
    for _ in range(n + 2):
        v = [step(v, i) for i in range(n)]
    return v


# ------------------------------------------------------------------------------ replay
def _truth(e, env, spec) -> bool:
    return bool(evaluate(e, env, spec))


def successors(ts, s: dict) -> list:
    """``[(transition or None, next state)]`` from ``s``: every enabled transition, or the
    stutter of a deadlock."""
    spec = ts.spec
    out = []
    for t in ts.transitions:
        if _truth(t.guard, s, spec):
            nxt = dict(s)
            for name, e in t.updates:
                nxt[name] = evaluate(e, s, spec)
            out.append((t, nxt))
    if not out:
        out.append((None, dict(s)))
    return out


def enabled(ts, s: dict) -> list:
    return [t for t in ts.transitions if _truth(t.guard, s, ts.spec)]


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(a[k] == b[k] for k in a)


def replay(ts, states: list, taken: list | None, loop: int | None = None, *,
           fair: bool = False) -> None:
    """Assert that ``states`` (with ``taken``) is a run of ``ts``; a lasso when ``loop`` is
    given; with ``fair``, the loop must also be weakly fair. Raises AssertionError."""
    spec = ts.spec
    names = {v.name for v in ts.vars}
    assert states, "empty run"
    assert taken is None or len(taken) == len(states), "taken and states differ in length"
    for i, s in enumerate(states):
        assert set(s) == names, f"step {i}: variables {sorted(s)} ≠ {sorted(names)}"
        for a in ts.axioms:
            assert _truth(a, s, spec), f"step {i}: axiom {a} false in {s}"
    for e in ts.init:
        assert _truth(e, states[0], spec), f"step 0 is not initial: {states[0]}"
    assert taken is None or taken[0] is None
    for i in range(1, len(states)):
        prev, cur = states[i - 1], states[i]
        succ = successors(ts, prev)
        claimed = taken[i] if taken is not None else None
        if taken is not None:
            ok = [nxt for t, nxt in succ if t is claimed]
            label = claimed.label if claimed is not None else "stutter"
            assert ok, (f"step {i}: `{label}` is not enabled in {prev}" if claimed is not None
                        else f"step {i}: stutter in a state that is not a deadlock: {prev}")
            assert _same(ok[0], cur), f"step {i}: `{label}` from {prev} gives {ok[0]}, not {cur}"
        else:
            assert any(_same(nxt, cur) for _, nxt in succ), f"step {i}: no step {prev} → {cur}"
    if loop is None:
        return
    assert 0 <= loop < len(states), f"loop {loop} outside the run"
    closing = [t for t, nxt in successors(ts, states[-1]) if _same(nxt, states[loop])]
    assert closing, f"the loop does not close: no step {states[-1]} → {states[loop]}"
    if fair and ts.fair:
        assert taken is not None
        inner = list(taken[loop + 1:])
        loop_states = states[loop:]
        problems = []
        for c in closing:  # one closing choice must make every fair label fair
            edges = inner + [c]
            bad = [f for f in sorted(ts.fair)
                   if all(any(t.label == f for t in enabled(ts, s)) for s in loop_states)
                   and not any(t is not None and t.label == f for t in edges)]
            if not bad:
                return
            problems.append(bad)
        raise AssertionError(f"the loop is not weakly fair for {problems[0]}")


# ------------------------------------------------------------------------------ the generator
@dataclass
class GenSpec:
    text: str
    machine: str
    props: list = field(default_factory=list)  # [(kind, tree)], checks named p0, p1, …
    composition: bool = False
    control: list = field(default_factory=list)  # control-state names as structural paths say


INT_K = st.integers(0, 3)


@st.composite
def _basic(draw, name="M", st_prefix="a", ev_prefix="ev", plain=False):
    """A basic machine: (text lines, info). ``plain``: no variables, parameters or guards (a
    component of a composition)."""
    ns = draw(st.integers(2, 5 if not plain else 4))
    ne = draw(st.integers(1, 4 if not plain else 3))
    S = [f"{st_prefix}{i}" for i in range(ns)]
    E = [f"{ev_prefix}{i}" for i in range(ne)]
    has_x = not plain and draw(st.booleans())
    has_b = not plain and draw(st.integers(0, 3)) == 0
    has_p = not plain and draw(st.integers(0, 2)) == 0
    x0 = draw(st.integers(0, 1))
    p_lo, p_hi = (draw(st.sampled_from([(0, 2), (0, 1), (1, 2)])) if has_p else (0, 0))

    def guard_atom():
        opts = []
        if has_x:
            k = draw(st.integers(0, 3))
            opts += [f"x < {k}", f"x ≥ {k}", f"x = {k}"]
        if has_b:
            opts += ["b", "¬b"]
        if has_p:
            k = draw(st.integers(0, 2))
            opts += [f"P ≥ {k}", f"P = {k}"]
            if has_x:
                opts += ["x ≤ P", "x < P"]
        return draw(st.sampled_from(opts)) if opts else None

    def update(guard_parts):
        ups = []
        if has_x and draw(st.integers(0, 2)) > 0:
            u = draw(st.sampled_from(["inc", "dec", "wrap", "zero", "P"] if has_p else
                                     ["inc", "dec", "wrap", "zero"]))
            if u == "inc":
                guard_parts.append("x < 3")
                ups.append("x := x + 1")
            elif u == "dec":
                guard_parts.append("x > 0")
                ups.append("x := x - 1")
            elif u == "wrap":
                ups.append("x := if x < 2 then x + 1 else 0")
            elif u == "zero":
                ups.append("x := 0")
            else:
                ups.append("x := P")
        if has_b and draw(st.integers(0, 2)) == 0:
            ups.append(draw(st.sampled_from(["b := ¬b", "b := true", "b := false"] +
                                            (["b := x > 1"] if has_x else []))))
        return ups

    rows = []
    for s in S:
        for e in E:
            r = draw(st.integers(0, 9))
            n = 0 if r < 4 else 1 if r < 8 else 2
            if plain:
                n = min(n, 1) if draw(st.integers(0, 5)) else n
            g = guard_atom() if n == 2 else None
            if n == 2 and g is None:
                n = 1  # two unguarded rows with different targets are an error (FC502)
            for k in range(n):
                dst = draw(st.sampled_from(S))
                parts = []
                if n == 2 and g is not None:
                    # two rows: complementary guards (deterministic) or independent ones
                    parts.append(g if k == 0 else
                                 (f"¬({g})" if draw(st.booleans()) else (guard_atom() or g)))
                elif not plain and draw(st.integers(0, 3)) == 0:
                    a = guard_atom()
                    if a:
                        parts.append(a)
                ups = update(parts) if not plain else []
                line = f"  δ({s}, {e}) = {dst}"
                if parts:
                    line += " when " + " ∧ ".join(f"({p})" if " " in p and len(parts) > 1
                                                  else p for p in parts)
                if ups:
                    line += " do " + ", ".join(ups)
                rows.append(line)
    if not rows:  # a machine has at least one row (FC503)
        rows.append(f"  δ({S[0]}, {E[0]}) = {S[1]}")
    finals = draw(st.lists(st.sampled_from(S), unique=True, max_size=2))
    internal = draw(st.lists(st.sampled_from(E), unique=True, max_size=2))
    fair = draw(st.lists(st.sampled_from(E), unique=True, max_size=2))
    lines = [f"machine {name} {{", f"  δ: {name}S × {name}E → {name}S", f"  initial {S[0]}"]
    if finals:
        lines.append("  final " + ", ".join(finals))
    if internal:
        lines.append("  internal " + ", ".join(internal))
    if fair and not plain:
        lines.append("  fair " + ", ".join(fair))
    if has_p:
        lines.append(f"  param P ∈ {p_lo}..{p_hi}")
    if has_x:
        lines.append(f"  var x: Int = {x0}")
    if has_b:
        b0 = draw(st.sampled_from(["false", "true", None]))  # None: any initial value
        lines.append("  var b: Bool" + (f" = {b0}" if b0 else ""))
    lines += rows
    lines.append("}")
    header = [f"{name}S = {{{', '.join(S)}}}", f"{name}E = {{{', '.join(E)}}}"]
    info = {"S": S, "E": E, "has_x": has_x, "has_b": has_b, "has_p": has_p, "finals": finals,
            "fair": fair if plain else []}
    return header + lines, info


def _basic_atoms(info):
    S = info["S"]
    atoms = []
    for s in S:
        atoms.append((f"state = {s}", lambda v, s=s: v[STATE] == s))
        atoms.append((f"state ≠ {s}", lambda v, s=s: v[STATE] != s))
    if len(S) > 2:
        two = (S[1], S[-1])
        atoms.append((f"state ∈ {{{two[0]}, {two[1]}}}", lambda v, t=two: v[STATE] in t))
    if info["has_x"]:
        for k in range(4):
            atoms.append((f"x < {k}", lambda v, k=k: v["x"] < k))
            atoms.append((f"x = {k}", lambda v, k=k: v["x"] == k))
    if info["has_b"]:
        atoms.append(("b", lambda v: v["b"] is True))
        atoms.append(("¬b", lambda v: v["b"] is False))
    if info["has_p"]:
        atoms.append(("P = 1", lambda v: v["P"] == 1))
        if info["has_x"]:
            atoms.append(("x ≤ P", lambda v: v["x"] <= v["P"]))
    return atoms


@st.composite
def _composition(draw):
    sub_lines, sub = draw(_basic(name="Sub", st_prefix="q", ev_prefix="f", plain=True))
    S, E = sub["S"], sub["E"]
    param_n = draw(st.booleans())
    n_lit = draw(st.integers(1, 3))
    n_text = "N" if param_n else str(n_lit)
    second = draw(st.integers(0, 3)) == 0
    has_y = draw(st.booleans())
    lines = ["machine Comp {"]
    if param_n:  # mostly 1..3; sometimes an empty composition is allowed
        lines.append("  param N ∈ " + draw(st.sampled_from(["1..3", "1..3", "1..3", "0..2"])))
    lines.append(f"  c[1..{n_text}]: Sub")
    if second:
        lines.append("  d[1..2]: Sub")
    if has_y:
        lines.append(f"  var y: Int = {draw(st.integers(0, 1))}")
    fair = draw(st.lists(st.sampled_from(E), unique=True, max_size=2))
    if fair:
        lines.append("  fair " + ", ".join(f"c.{e}" for e in fair))
    used_update: set = set()
    for _ in range(draw(st.integers(1, 2))):
        comp = "d" if second and draw(st.integers(0, 3)) == 0 else "c"
        evs = draw(st.lists(st.sampled_from(E), unique=True, min_size=1, max_size=2))
        parts = []
        if draw(st.integers(0, 3)) > 0:
            parts.append(f"count(c, {draw(st.sampled_from(S))}) < {draw(st.integers(1, 3))}")
        ups = []
        if has_y and not any((comp, e) in used_update for e in evs) and draw(st.booleans()):
            u = draw(st.sampled_from(["inc", "wrap", "zero"]))
            if u == "inc":
                parts.append("y < 2")
                ups.append("y := y + 1")
            else:
                ups.append("y := if y < 2 then y + 1 else 0" if u == "wrap" else "y := 0")
            used_update |= {(comp, e) for e in evs}
        if not parts and not ups:
            parts.append(f"count(c, {S[0]}) ≥ 1")
        line = "  " + ", ".join(f"{comp}.{e}" for e in evs)
        if parts:
            line += " when " + " ∧ ".join(parts)
        if ups:
            line += " do " + ", ".join(ups)
        lines.append(line)
    lines.append("}")
    comps = ["c", "d"] if second else ["c"]
    atoms = []
    for c in comps:
        for s in S:
            key = count_var(c, s)
            for k in (1, 2):
                atoms.append((f"count({c}, {s}) < {k}", lambda v, key=key, k=k: v[key] < k))
            atoms.append((f"count({c}, {s}) ≥ 1", lambda v, key=key: v[key] >= 1))
        if len(S) > 2:
            keys = (count_var(c, S[1]), count_var(c, S[-1]))
            atoms.append((f"count({c}, {{{S[1]}, {S[-1]}}}) ≥ 2",
                          lambda v, keys=keys: v[keys[0]] + v[keys[1]] >= 2))
    for s in S:
        key = count_var("c", s)
        if param_n:
            atoms.append((f"count(c, {s}) = N", lambda v, key=key: v[key] == v["N"]))
        else:
            atoms.append((f"count(c, {s}) = {n_lit}", lambda v, key=key, n=n_lit: v[key] == n))
    if param_n:
        atoms.append(("N = 2", lambda v: v["N"] == 2))
    if has_y:
        for k in range(3):
            atoms.append((f"y = {k}", lambda v, k=k: v["y"] == k))
            atoms.append((f"y < {k}", lambda v, k=k: v["y"] < k))
    control = [f"{c}.{s}" for c in comps for s in S]
    return sub_lines + lines, atoms, control


@st.composite
def _pred(draw, atoms, depth=1):
    """A state predicate."""
    a = draw(st.sampled_from(atoms))
    f = ("atom", a[0], a[1])
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["and", "or", "imp", "not"]))
        if op == "not":
            return ("not", f)
        return (op, f, draw(_pred(atoms, depth - 1)))
    return f


@st.composite
def _next_body(draw, atoms):
    """An `always` body with at most `next` inside."""
    p = draw(_pred(atoms))
    r = draw(st.integers(0, 4))
    if r == 0:
        return p
    q = draw(_pred(atoms))
    if r == 1:
        return ("imp", p, ("X", q))
    if r == 2:
        return ("and", p, ("imp", draw(_pred(atoms)), ("X", ("X", q))))
    if r == 3:
        return ("or", p, ("X", q))
    return ("imp", p, ("X", ("or", q, ("X", draw(_pred(atoms))))))


@st.composite
def _ltl(draw, atoms, depth=2):
    """A general temporal formula."""
    r = draw(st.integers(0, 10))
    p = draw(_pred(atoms))
    if depth == 0 or r <= 1:
        return p
    def sub():
        return draw(_ltl(atoms, depth - 1))

    if r == 2:
        return ("F", sub())
    if r == 3:
        return ("G", sub())
    if r == 4:
        return ("U", p, draw(_pred(atoms)))
    if r == 5:
        return ("X", sub())
    if r == 6:
        return ("G", ("F", p))
    if r == 7:
        return ("F", ("G", p))
    if r == 8:
        return (draw(st.sampled_from(["and", "or", "imp"])), sub(), sub())
    if r == 9:
        return (draw(st.sampled_from(["Gk", "Fk"])), draw(st.integers(0, 3)), sub())
    return ("not", sub())


STRUCTURAL = ["deterministic", "total", "deadlock_free", "final_absorbing", "reachable"]


@st.composite
def _prop(draw, atoms):
    """(kind, tree) for one check."""
    kind = draw(st.sampled_from(["valid", "valid", "sat"]))
    r = draw(st.integers(0, 13))
    if r == 0:
        f = draw(_pred(atoms))
    elif r <= 3:
        f = ("G", draw(_next_body(atoms)))
    elif r == 4:
        f = ("and", ("G", draw(_next_body(atoms))), ("G", draw(_next_body(atoms))))
    elif r == 5:
        f = (draw(st.sampled_from(["Gk", "Fk"])), draw(st.integers(0, 4)),
             draw(_next_body(atoms) if draw(st.booleans()) else _pred(atoms)))
    elif r == 6:
        f = ("F", draw(_pred(atoms)))
    elif r == 7:
        f = ("U", draw(_pred(atoms)), draw(_pred(atoms)))
    elif r == 8:
        f = ("LT", draw(_pred(atoms)), draw(_pred(atoms)))
    elif r == 9:
        f = ("G", ("F", draw(_pred(atoms))))
    elif r == 10:
        f = ("F", ("G", draw(_pred(atoms))))
    elif r == 11:
        f = draw(_ltl(atoms))
    else:
        f = ("struct", draw(st.sampled_from(STRUCTURAL)))
        kind = "valid"  # a structural property is about every run: `check sat` is FC509
    return kind, f


@st.composite
def specs(draw, n_props=(4, 8)):
    """A generated spec: one machine and several properties of it."""
    composition = draw(st.integers(0, 2)) == 0
    if composition:
        lines, atoms, control = draw(_composition())
        machine = "Comp"
    else:
        lines, info = draw(_basic())
        atoms = _basic_atoms(info)
        control = list(info["S"])
        machine = "M"
    props = draw(st.lists(_prop(atoms), min_size=n_props[0], max_size=n_props[1]))
    for i, (kind, f) in enumerate(props):
        lines.append(f"check {'sat ' if kind == 'sat' else ''}p{i}: {machine} ⊨ {wrap(f)}")
    return GenSpec("\n".join(lines) + "\n", machine, props, composition, control)
