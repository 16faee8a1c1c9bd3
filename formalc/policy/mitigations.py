"""Minimal mitigations: what must change in a concrete configuration for a predicate to hold.

Given a spec, a Boolean predicate of one parameter (``Mitigated_ContainerEscape(c: OciConfig)``)
and a concrete instance (a named value of the spec, or a Python dict), :func:`minimal_fixes`
reports

* the verdict, from the explicit evaluator, with the *atoms* — the leaf Boolean
  sub-expressions after inlining definitions (comparisons, memberships, Bool fields, ``¬`` of
  one of those, …) — that are false for the instance;
* the minimal fixes, enumerated with Z3 by increasing size;
* the necessary atoms (the backbone: true in every value satisfying the predicate) and, when
  no value satisfies it, a minimal unsatisfiable set of its conjuncts (MUS).

**Formulation: minimal sets of fields.** Atoms that share a field are not independent
(``c.uid ≠ 0`` and ``c.uid = 0``), so a fix is a minimal set of *fields* (leaf fields of the
tuple, nested tuples flattened: ``c.base.filesystem.readOnlyRoot``) that may take new values so
that the predicate holds, with a witness value for each. The record's leaf fields are free Z3
variables, the predicate is encoded by the real encoder (:class:`formalc.encode.z3expr.Encoder`),
and a selector per field either pins it to its current value or lets it change. Fixes are the
minimal correction sets of those pins (every set found at size k is minimal because every fix
smaller than k was found before and blocked; fields whose current value alone contradicts the
predicate belong to every fix and are not counted). Each fix also lists the atoms its witness flips.
Witness sets stay as close to the current set as possible (fewest members added or removed).

>>> import formalc
>>> spec = formalc.loads('''
... C = (privileged: Bool, uid: Int, seccomp: Bool)
... Safe(c: C) := ¬c.privileged ∧ (c.uid ≠ 0 ∨ c.seccomp)
... bad := C(privileged: true, uid: 0, seccomp: false)
... ''')
>>> r = minimal_fixes(spec, "Safe", "bad")
>>> r.holds, r.fixes
(False, [[('c.privileged', 'false'), ('c.uid', '2')], [('c.privileged', 'false'), ('c.seccomp', 'true')]])
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from fractions import Fraction

import z3

from ..diagnostics import source_text
from ..encode import decode
from ..encode.values import EnumSet, Unsupported, finite_members
from ..encode.z3expr import Encoder
from ..machines.evaluate import Record, evaluate
from ..machines.outcome import NotApplicable
from ..model import nodes as m
from ..model.types import (
    BOOL,
    INT,
    REAL,
    STRING,
    UNITS,
    EnumT,
    QuantT,
    RecordT,
    SetT,
    Type,
    value_text,
)

DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Atom:
    """A leaf Boolean sub-expression: its source text, the definition it was inlined from
    (``context``, "" at the top), and its value for the instance (None: not evaluable)."""
    text: str
    context: str
    value: bool | None

    def __str__(self) -> str:
        return f"{self.text} [in {self.context}]" if self.context else self.text


@dataclass
class FixReport:
    """The answer of :func:`minimal_fixes`, as plain data.

    ``fixes``: minimal sets of ``(field, new value text)``, by size then field order;
    ``fix_atoms``: for each fix, the atoms its witness turns from false to true or back;
    ``necessary``: atoms true whenever the predicate holds; ``necessary_false``: atoms false
    whenever it holds; ``mus``: a minimal unsatisfiable set of conjuncts when the predicate
    holds for no value at all (else None); ``complete``: every minimal fix is listed (not cut by
    ``max_sets``); ``reason``: why a part stayed undecided (timeout, unsupported construct).
    """
    predicate: str
    instance: str
    holds: bool | None
    atoms: list[Atom] = field(default_factory=list)
    false_atoms: list[str] = field(default_factory=list)
    fixes: list[list[tuple[str, str]]] = field(default_factory=list)
    fix_atoms: list[list[str]] = field(default_factory=list)
    necessary: list[str] = field(default_factory=list)
    necessary_false: list[str] = field(default_factory=list)
    mus: list[str] | None = None
    complete: bool = True
    reason: str | None = None
    seconds: float = 0.0


class _Stop(Exception):
    """The solver gave up; the message is the report's reason."""


# ------------------------------------------------------------------------------ values
_QTY = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-zµ%]*)\s*$")


def from_python(v, t: Type, where: str = "value"):
    """A Python value (dict, set/list, str, number, ``"512MiB"``) as an evaluator value of
    type ``t``; raises ValueError naming the culprit."""
    if isinstance(t, RecordT):
        if not isinstance(v, dict):
            raise ValueError(f"{where}: expected a dict for a {t.name}, got {v!r}")
        names = [f for f, _ in t.fields]
        missing = [f for f in names if f not in v]
        extra = [f for f in v if f not in names]
        if missing or extra:
            raise ValueError(f"{where}: {t.name} needs fields {names}; missing {missing}, "
                             f"unknown {extra}")
        return Record((f, from_python(v[f], ft, f"{where}.{f}")) for f, ft in t.fields)
    if isinstance(t, SetT):
        if isinstance(v, (str, bytes, dict)):
            raise ValueError(f"{where}: expected a set, got {v!r}")
        return frozenset(from_python(x, t.elem, where) for x in v)  # type: ignore[arg-type]
    if isinstance(t, EnumT):
        if v not in t.members:
            raise ValueError(f"{where}: `{v}` is not a member of {t.name} {list(t.members)}")
        return v
    if t == BOOL:
        if not isinstance(v, bool):
            raise ValueError(f"{where}: expected a Bool, got {v!r}")
        return v
    if t == INT:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{where}: expected an Int, got {v!r}")
        return v
    if t == STRING:
        return str(v)
    if t == REAL or isinstance(t, QuantT):
        if isinstance(v, str):
            mt = _QTY.match(v)
            if not mt:
                raise ValueError(f"{where}: cannot read {v!r} as a {t}")
            num, unit = Fraction(mt.group(1)), mt.group(2)
            if unit:
                dim, factor = UNITS.get(unit, (None, None))
                if dim is None or (isinstance(t, QuantT) and dim != t.dim):
                    raise ValueError(f"{where}: `{unit}` is not a unit of {t}")
                num *= factor
            return num
        return Fraction(v)
    raise ValueError(f"{where}: values of type {t} cannot be given")


def _term(enc: Encoder, v, t: Type):
    """The ground Z3 term of evaluator value ``v`` of type ``t``."""
    if isinstance(t, RecordT):
        ctor = enc._record_decls(t)[0]
        return ctor(*[_term(enc, v[f], ft) for f, ft in t.fields])
    if isinstance(t, SetT):
        members = finite_members(t.elem)  # type: ignore[arg-type]
        if members is not None:
            return enc.as_array(EnumSet(t.elem, {k: z3.BoolVal(k in v, enc.ctx) for k in members}))
        arr = z3.K(enc.sort(t.elem), enc.false)  # type: ignore[arg-type]
        for x in sorted(v, key=repr):
            arr = z3.Store(arr, _term(enc, x, t.elem), enc.true)  # type: ignore[arg-type]
        return arr
    if isinstance(t, EnumT):
        return enc.enum_const(t, v)
    if t in (BOOL, INT, STRING, REAL) or isinstance(t, QuantT):
        return enc.lit(v, t)
    raise Unsupported(f"values of type {t}")


def _leaves(t: Type, path: tuple[str, ...] = ()):
    """(path, type) of every leaf field of ``t``, in declaration order."""
    if isinstance(t, RecordT):
        for f, ft in t.fields:
            yield from _leaves(ft, path + (f,))
    else:
        yield path, t


def _build(enc: Encoder, t: Type, path, leaf_vars):
    if isinstance(t, RecordT):
        ctor = enc._record_decls(t)[0]
        return ctor(*[_build(enc, ft, path + (f,), leaf_vars) for f, ft in t.fields])
    return leaf_vars[path]


def _fields_read(spec, body) -> set[str]:
    """The names of the record fields ``body`` reads, through the definitions it uses."""
    out: set[str] = set()
    seen: set[str] = set()
    todo = [body]
    while todo:
        x = todo.pop()
        if isinstance(x, m.FieldGet):
            out.add(x.field)
        if isinstance(x, m.Apply) and x.name not in seen:
            seen.add(x.name)
            d = spec.definitions.get(x.name)
            if d is not None:
                todo.append(d.body)
        todo.extend(m.children(x))
    return out


def _get(v, path):
    for f in path:
        v = v[f]
    return v


# ------------------------------------------------------------------------------ atoms
_CONNECTIVES = (m.BoolOp, m.Implies, m.Not)


class _Walker:
    """Collects atoms and top-level conjuncts, inlining definitions, with each atom's Z3 term
    and its current value."""

    def __init__(self, spec, enc: Encoder):
        self.spec, self.enc = spec, enc
        self.atoms: list[tuple[Atom, object]] = []
        self._seen: set = set()

    def text(self, e) -> str:
        return source_text(self.spec.sources, getattr(e, "span", None)) or type(e).__name__

    def inlinable(self, e) -> bool:
        return isinstance(e, m.Apply) and e.type == BOOL and bool(e.args) and \
            e.name in self.spec.definitions

    def inline(self, e: m.Apply, py_env, z_env):
        d = self.spec.definitions[e.name]
        py, zz = {}, {}
        for (p, _), a in zip(d.params, e.args):
            try:
                py[p] = evaluate(a, py_env, self.spec)
            except NotApplicable:
                py[p] = None
            zz[p] = (self.enc.term(a, z_env), self.text(a))
        ctx = f"{e.name}({', '.join(self.text(a) for a in e.args)})"
        return d.body, py, zz, ctx

    def walk(self, e, py_env, z_env, ctx: str):
        if isinstance(e, m.BoolOp):
            for x in e.operands:
                self.walk(x, py_env, z_env, ctx)
        elif isinstance(e, m.Implies):
            self.walk(e.left, py_env, z_env, ctx)
            self.walk(e.right, py_env, z_env, ctx)
        elif isinstance(e, m.Not) and (isinstance(e.operand, _CONNECTIVES) or
                                       self.inlinable(e.operand)):
            self.walk(e.operand, py_env, z_env, ctx)
        elif self.inlinable(e):
            body, py, zz, inner = self.inline(e, py_env, z_env)
            self.walk(body, py, zz, inner)
        else:
            text = self.text(e)
            key = (text, ctx)
            if key in self._seen:
                return
            self._seen.add(key)
            try:
                value = bool(evaluate(e, py_env, self.spec)) if None not in py_env.values() else None
            except (NotApplicable, KeyError, TypeError):
                value = None
            self.atoms.append((Atom(text, ctx, value), self.enc.expr(e, z_env)))

    def conjuncts(self, e, z_env, ctx: str, out: list):
        """The top-level conjuncts of ``e`` (through ∧ and inlined definitions)."""
        if isinstance(e, m.BoolOp) and e.op == "∧":
            for x in e.operands:
                self.conjuncts(x, z_env, ctx, out)
        elif self.inlinable(e):
            body, _, zz, inner = self.inline(e, {}, z_env)
            self.conjuncts(body, zz, inner, out)
        else:
            text = self.text(e)
            out.append((f"{text} [in {ctx}]" if ctx else text, self.enc.expr(e, z_env)))
        return out


# ------------------------------------------------------------------------------ the analysis
def minimal_fixes(spec: m.Spec, predicate: str, instance, max_sets: int = 10,
                  timeout_ms: int = DEFAULT_TIMEOUT_MS) -> FixReport:
    """Verdict, minimal fixes, necessary atoms and MUS of ``predicate`` for ``instance``.

    ``instance`` is the name of a named value of the spec or a dict of field values (nested
    dicts for nested tuples, sets as Python sets or lists, enumeration members as strings,
    quantities as numbers in base units or strings with a unit such as ``"512MiB"``). Every
    solver call gets ``timeout_ms``; a timeout leaves the report incomplete, with the reason.
    """
    t0 = time.perf_counter()
    d = spec.definitions.get(predicate)
    if d is None or d.type != BOOL or len(d.params) != 1:
        raise ValueError(f"`{predicate}` is not a predicate of one parameter in this spec")
    pname, ptype = d.params[0]
    if isinstance(instance, str):
        vd = spec.definitions.get(instance)
        if vd is None or vd.params or vd.type != ptype:
            raise ValueError(f"`{instance}` is not a named value of type {ptype} in this spec")
        value = evaluate(m.Apply(instance, (), ptype), {}, spec)
        shown = instance
    else:
        value = from_python(instance, ptype, pname)
        shown = value_text(value, ptype) if not isinstance(value, Record) else \
            f"{ptype}(…)"
    report = FixReport(predicate, shown, None)
    try:
        _analyse(spec, d, pname, ptype, value, report, max_sets, timeout_ms)
    except _Stop as e:
        report.reason = str(e)
        report.complete = False
    except Unsupported as e:
        report.reason = f"unsupported by the solver back end: {e}"
        report.complete = False
    report.seconds = time.perf_counter() - t0
    return report


def _solver(ctx, timeout_ms: int):
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout_ms)))
    s.set("random_seed", 0)
    return s


def _check(s, *assumptions):
    r = s.check(*assumptions)
    if r == z3.unknown:
        why = s.reason_unknown()
        raise _Stop(f"the solver gave no answer ({why})" if why not in ("timeout", "canceled")
                    else "timeout: no answer within the time limit")
    return r == z3.sat


def _holds_with(s, fact) -> bool:
    s.push()
    s.add(fact)
    try:
        return _check(s)
    finally:
        s.pop()


def _analyse(spec, d, pname, ptype, value, report: FixReport, max_sets: int, timeout_ms: int):
    ctx = z3.Context()
    enc = Encoder(spec, ctx)
    every = list(_leaves(ptype))
    # Only the fields the predicate reads can be part of a fix; the others keep their values
    # (a record with many set-valued fields is otherwise far more work for the solver).
    read = _fields_read(spec, d.body)
    leaves = [(p, t) for p, t in every if p[-1] in read] or every
    labels = [".".join((pname,) + p) for p, _ in leaves]
    # A set over a finite type is one Boolean per member (so "unchanged" is a conjunction of
    # member equalities, not an array equality, which the solver handles far worse).
    leaf_vars, bits = {}, {}
    for (p, t), lab in zip(leaves, labels):
        members = finite_members(t.elem) if isinstance(t, SetT) else None
        if members is not None:
            bits[p] = {k: z3.Bool(f"{lab}∋{k}", ctx) for k in members}
            leaf_vars[p] = enc.as_array(EnumSet(t.elem, bits[p]))
        else:
            leaf_vars[p] = z3.Const(lab, enc.sort(t))
    current = {p: _term(enc, _get(value, p), t) for p, t in leaves}
    same = {}
    for p, _ in leaves:
        if p in bits:
            now = _get(value, p)
            same[p] = z3.And([b == z3.BoolVal(k in now, ctx) for k, b in bits[p].items()])
        else:
            same[p] = leaf_vars[p] == current[p]
    fixed = {p: _term(enc, _get(value, p), t) for p, t in every if p not in leaf_vars}
    x = _build(enc, ptype, (), {**fixed, **leaf_vars})
    z_env = {pname: (x, pname)}
    pred = enc.expr(d.body, z_env)
    hard = [pred] + list(enc.side)
    for (p, t) in leaves:
        hard += enc.ranges(leaf_vars[p], t)
    if enc.labels:
        free = sorted({lab for lab, _ in enc.labels.values()})
        raise _Stop("the predicate depends on uninterpreted constants or functions "
                    f"({', '.join(free)}); give them values to compute fixes")

    # the verdict and the atoms, by the explicit evaluator (Z3 where it cannot evaluate)
    walker = _Walker(spec, enc)
    walker.walk(d.body, {pname: value}, z_env, "")
    pin = [(b, z3.BoolVal(k in _get(value, p), ctx)) for p in bits for k, b in bits[p].items()]
    pin += [(leaf_vars[p], current[p]) for p, _ in leaves if p not in bits]
    atoms = []
    for a, term in walker.atoms:
        if a.value is None:
            v = z3.simplify(z3.substitute(term, *pin)) if pin else term
            a = Atom(a.text, a.context, True if z3.is_true(v) else False if z3.is_false(v) else None)
        atoms.append((a, term))
    report.atoms = [a for a, _ in atoms]
    report.false_atoms = [str(a) for a, _ in atoms if a.value is False]
    try:
        report.holds = bool(evaluate(d.body, {pname: value}, spec))
    except NotApplicable:
        v = z3.simplify(z3.substitute(pred, *pin)) if pin else pred
        report.holds = True if z3.is_true(v) else False if z3.is_false(v) else None

    s = _solver(ctx, timeout_ms)
    s.add(*hard)
    if not _check(s):
        report.mus = _mus(walker, d, z_env, enc, ctx, timeout_ms)
        return
    # the backbone: atoms true (false) in every value satisfying the predicate
    for a, term in atoms:
        if not _holds_with(s, z3.Not(term)):
            report.necessary.append(str(a))
        elif not _holds_with(s, term):
            report.necessary_false.append(str(a))
    if report.holds:
        return
    _enumerate(s, enc, leaves, labels, leaf_vars, same, atoms, report, max_sets, hard,
               ctx, timeout_ms)


def _enumerate(s, enc, leaves, labels, leaf_vars, same, atoms, report, max_sets, hard, ctx,
               timeout_ms):
    n = len(leaves)
    ch = [z3.Bool(f"changed!{i}", ctx) for i in range(n)]
    # A field whose current value alone contradicts the predicate is in every fix: change it
    # up front, and count only the others (fewer, cheaper cardinality levels).
    forced = [i for i, (p, _) in enumerate(leaves) if not _holds_with(s, same[p])]
    for i, (p, _) in enumerate(leaves):
        s.add(z3.Or(ch[i], same[p]))
        if i in forced:
            s.add(ch[i])
    free = [ch[i] for i in range(n) if i not in forced]
    found: list[tuple[tuple[int, ...], list]] = []
    for k in range(len(free) + 1):
        bound = z3.Bool(f"atmost!{k}", ctx)
        s.add(z3.Implies(bound, z3.AtMost(*free, k) if free else z3.BoolVal(True, ctx)))
        while _check(s, bound):
            model = s.model()
            c = tuple(i for i in range(n) if z3.is_true(model.eval(ch[i], model_completion=True)))
            found.append((c, _witness(enc, leaves, leaf_vars, same, c, model, hard, ctx,
                                      timeout_ms)))
            s.add(z3.Or([z3.Not(ch[i]) for i in c]))
            if len(found) >= max_sets:
                report.complete = not _check(s)
                break
        else:
            if not _check(s):  # every minimal fix is found
                break
            continue
        break
    found.sort(key=lambda f: (len(f[0]), f[0]))
    before = {str(a): a.value for a, _ in atoms}
    for c, model in found:
        report.fixes.append([(labels[i], _show(enc, model, leaf_vars[leaves[i][0]], leaves[i][1]))
                             for i in c])
        flips = []
        for a, term in atoms:
            after = model.eval(term, model_completion=True)
            now = True if z3.is_true(after) else False if z3.is_false(after) else None
            if now is not None and before[str(a)] is not None and now != before[str(a)]:
                flips.append(f"{a} → {'true' if now else 'false'}")
        report.fix_atoms.append(flips)


def _show(enc, model, var, t) -> str:
    return value_text(decode.value(enc, model, var, t), t)


def _witness(enc, leaves, leaf_vars, same, changed, model, hard, ctx, timeout_ms):
    """A model for fix ``changed`` whose changed sets differ from the current ones in as few
    members as possible (other fields keep their current values)."""
    finite_sets = [i for i in changed if isinstance(leaves[i][1], SetT)
                   and finite_members(leaves[i][1].elem) is not None]
    if not finite_sets:
        return model
    o = z3.Optimize(ctx=ctx)
    o.set("timeout", max(1, int(timeout_ms)))
    o.add(*hard)
    for i, (p, _) in enumerate(leaves):
        if i not in changed:
            o.add(same[p])
    for i in finite_sets:
        p, t = leaves[i]
        for eq in same[p].children():  # one member equality each
            o.add_soft(eq)
    if o.check() != z3.sat:
        return model
    return o.model()


def _mus(walker: _Walker, d, z_env, enc, ctx, timeout_ms) -> list[str]:
    """A minimal unsatisfiable set of the predicate's conjuncts (deletion-based)."""
    parts = walker.conjuncts(d.body, z_env, "", [])
    s = _solver(ctx, timeout_ms)
    s.add(*enc.side)
    lits = [z3.Bool(f"conjunct!{i}", ctx) for i in range(len(parts))]
    for lit, (_, term) in zip(lits, parts):
        s.add(z3.Implies(lit, term))
    if _check(s, *lits):  # the side facts alone cannot make it unsat; be safe anyway
        return []
    core = {str(v) for v in s.unsat_core()}
    keep = [i for i, lit in enumerate(lits) if str(lit) in core]
    for i in list(keep):
        trial = [j for j in keep if j != i]
        if not _check(s, *[lits[j] for j in trial]):
            keep = trial
    return [parts[i][0] for i in keep]
