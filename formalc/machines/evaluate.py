"""Evaluating typed model expressions in Python, on plain values.

Values: bool, int (Int), :class:`fractions.Fraction` (Real and quantities, in base units), str
(enumeration members and strings), frozenset (sets) and :class:`Record` (a tuple value: a dict
from field names to values that can also be hashed, so tuples can be members of sets).

Each expression is compiled once into a Python closure ``f(env)`` (``env`` maps variable names
to values) and cached by the node's id, with the node kept alive so that the id stays its own.
The explicit engine evaluates guards and updates per state and transition, hence the care.

What cannot be evaluated raises :class:`~formalc.machines.outcome.NotApplicable`: uninterpreted
constants, functions without a table row for the arguments met, binders over infinite types,
division by zero.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from ..model import nodes as m
from ..model.types import BOOL, INT, EnumT, SetT, Type
from .outcome import NotApplicable


class Record(dict):
    """A tuple value: its fields by name. Immutable by convention, hence hashable."""

    __slots__ = ()

    def __hash__(self):  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))

    def __setitem__(self, k, v):  # pragma: no cover - guard against accidental mutation
        raise TypeError("Record values are immutable")


def finite_values(t: Type) -> list | None:
    """Every value of a finite type (Bool, an enumeration, a set of an enumeration), or None."""
    if t == BOOL:
        return [False, True]
    if isinstance(t, EnumT):
        return list(t.members)
    if isinstance(t, SetT) and t.elem is not None:
        elems = finite_values(t.elem)
        if elems is None or len(elems) > 16:
            return None
        return [frozenset(c) for k in range(len(elems) + 1) for c in combinations(elems, k)]
    return None


def evaluate(e, env: dict, spec: m.Spec):
    """The value of expression ``e`` with its variables bound by ``env``."""
    return compile_expr(e, spec)(env)


def compile_expr(e, spec: m.Spec):
    """``e`` as a closure over an environment; compiled once per (node, spec)."""
    return _Compiler.of(spec).compile(e)


class _Compiler:
    @classmethod
    def of(cls, spec):
        # kept on the spec itself, so compiled closures live exactly as long as their spec
        c = spec.__dict__.get("_py_evaluator")
        if c is None:
            c = cls(spec)
            spec.__dict__["_py_evaluator"] = c
        return c

    def __init__(self, spec):
        self.spec = spec
        self.cache: dict[int, tuple[object, object]] = {}  # id(node) -> (node, closure)
        self.values: dict[str, object] = {}  # named values (definitions without parameters)
        self.tables: dict[str, dict] = {}

    def compile(self, e):
        hit = self.cache.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        method = getattr(self, "_" + type(e).__name__, None)
        if method is None:
            raise NotApplicable(f"cannot evaluate {type(e).__name__} in a state")
        f = method(e)
        self.cache[id(e)] = (e, f)
        return f

    # ------------------------------------------------------------------ leaves
    def _Lit(self, e: m.Lit):
        v = e.value
        return lambda env: v

    def _EnumConst(self, e: m.EnumConst):
        v = e.member
        return lambda env: v

    def _Var(self, e: m.Var):
        name = e.name

        def var(env):
            try:
                return env[name]
            except KeyError:
                raise NotApplicable(f"`{name}` has no value here") from None
        return var

    def _ConstRef(self, e: m.ConstRef):
        name = e.name

        def const(env):
            raise NotApplicable(f"`{name}` is an uninterpreted constant (declared without a "
                                "value); the explicit engine needs concrete values: give it "
                                f"one (`{name} := …`)")
        return const

    def _AllOf(self, e: m.AllOf):
        v = frozenset(finite_values(e.type.elem) or ())  # type: ignore[union-attr]
        return lambda env: v

    def _Total(self, e: m.Total):
        f = self.spec.functions[e.func]
        size = 1
        for t in f.domain:
            vals = finite_values(t)
            if vals is None:
                size = None
                break
            size *= len(vals)
        v = bool(f.domain) and size is not None and len(f.table) == size
        return lambda env: v

    # ------------------------------------------------------------------ definitions, tables
    def _Apply(self, e: m.Apply):
        d = self.spec.definitions[e.name]
        name = e.name
        if not d.params:
            values = self.values
            comp = self

            def value(env):
                try:
                    return values[name]
                except KeyError:
                    v = comp.compile(d.body)({})
                    values[name] = v
                    return v
            return value
        pnames = tuple(p for p, _ in d.params)
        args = tuple(self.compile(a) for a in e.args)
        body_cell: list = []
        comp = self

        def apply(env):
            if not body_cell:
                body_cell.append(comp.compile(d.body))
            return body_cell[0]({p: a(env) for p, a in zip(pnames, args)})
        return apply

    def _table(self, name: str) -> dict:
        t = self.tables.get(name)
        if t is None:
            f = self.spec.functions[name]
            t = {tuple(key): self.compile(v)({}) for key, v in f.table}
            self.tables[name] = t
        return t

    def _FuncApp(self, e: m.FuncApp):
        name = e.name
        args = tuple(self.compile(a) for a in e.args)
        comp = self

        def app(env):
            key = tuple(a(env) for a in args)
            table = comp._table(name)
            try:
                return table[key]
            except KeyError:
                shown = ", ".join(_show(k) for k in key)
                what = (f"`{name}({shown})` has no row in its table" if args else
                        f"`{name}` is an uninterpreted constant (no value given)")
                raise NotApplicable(what + "; the explicit engine needs concrete values") \
                    from None
        return app

    def _Construct(self, e: m.Construct):
        names = tuple(f for f, _ in e.type.fields)  # type: ignore[union-attr]
        args = tuple(self.compile(a) for a in e.args)
        return lambda env: Record(zip(names, (a(env) for a in args)))

    def _FieldGet(self, e: m.FieldGet):
        obj, field = self.compile(e.obj), e.field
        return lambda env: obj(env)[field]

    # ------------------------------------------------------------------ logic
    def _Not(self, e: m.Not):
        a = self.compile(e.operand)
        return lambda env: not a(env)

    def _BoolOp(self, e: m.BoolOp):
        xs = tuple(self.compile(x) for x in e.operands)
        if e.op == "∧":
            if len(xs) == 2:
                a, b = xs
                return lambda env: a(env) and b(env)

            def and_(env):
                for x in xs:
                    if not x(env):
                        return False
                return True
            return and_
        if e.op == "∨":
            if len(xs) == 2:
                a, b = xs
                return lambda env: a(env) or b(env)

            def or_(env):
                for x in xs:
                    if x(env):
                        return True
                return False
            return or_

        def iff(env):  # ⇔ chains associate to the left
            acc = xs[0](env)
            for x in xs[1:]:
                acc = acc == x(env)
            return acc
        return iff

    def _Implies(self, e: m.Implies):
        a, b = self.compile(e.left), self.compile(e.right)
        return lambda env: (not a(env)) or b(env)

    def _Cmp(self, e: m.Cmp):
        op = e.op
        a = self.compile(e.left)
        # the frequent `x ≥ 1`, `state = Running`: a variable against a constant
        if isinstance(e.right, (m.Lit, m.EnumConst)) and isinstance(e.left, m.Var):
            k = e.right.value if isinstance(e.right, m.Lit) else e.right.member
            n = e.left.name
            fast = {"=": lambda env: env[n] == k, "≠": lambda env: env[n] != k,
                    "<": lambda env: env[n] < k, "≤": lambda env: env[n] <= k,
                    ">": lambda env: env[n] > k, "≥": lambda env: env[n] >= k}[op]

            def cmp_var(env):
                try:
                    return fast(env)
                except KeyError:
                    return a(env)  # raises the clear error
            return cmp_var
        b = self.compile(e.right)
        return {"=": lambda env: a(env) == b(env), "≠": lambda env: a(env) != b(env),
                "<": lambda env: a(env) < b(env), "≤": lambda env: a(env) <= b(env),
                ">": lambda env: a(env) > b(env), "≥": lambda env: a(env) >= b(env)}[op]

    def _Member(self, e: m.Member):
        x, s = self.compile(e.elem), self.compile(e.set)
        if e.negated:
            return lambda env: x(env) not in s(env)
        return lambda env: x(env) in s(env)

    def _Subset(self, e: m.Subset):
        a, b = self.compile(e.left), self.compile(e.right)
        return lambda env: a(env) <= b(env)

    def _Ite(self, e: m.Ite):
        c, a, b = self.compile(e.cond), self.compile(e.then), self.compile(e.orelse)
        return lambda env: a(env) if c(env) else b(env)

    # ------------------------------------------------------------------ arithmetic, sets
    def _Arith(self, e: m.Arith):
        xs = tuple(self.compile(x) for x in e.operands)
        ops = e.ops
        if len(xs) == 2 and ops[0] in ("+", "-"):
            a, b = xs
            if isinstance(e.operands[1], m.Lit):
                k = e.operands[1].value
                if ops[0] == "-":
                    k = -k
                if isinstance(e.operands[0], m.Var):
                    n = e.operands[0].name
                    return lambda env: env[n] + k if n in env else a(env) + k
                return lambda env: a(env) + k
            if ops[0] == "+":
                return lambda env: a(env) + b(env)
            return lambda env: a(env) - b(env)

        def arith(env):
            acc = xs[0](env)
            for op, x in zip(ops, xs[1:]):
                y = x(env)
                if op == "+":
                    acc = acc + y
                elif op == "-":
                    acc = acc - y
                elif op == "×":
                    acc = acc * y
                else:
                    if y == 0:
                        raise NotApplicable("division by zero")
                    acc = Fraction(acc) / y
            return acc
        return arith

    def _Neg(self, e: m.Neg):
        a = self.compile(e.operand)
        return lambda env: -a(env)

    def _ToReal(self, e: m.ToReal):
        a = self.compile(e.operand)
        return lambda env: Fraction(a(env))

    def _SetOp(self, e: m.SetOp):
        xs = tuple(self.compile(x) for x in e.operands)
        ops = e.ops

        def setop(env):
            acc = xs[0](env)
            for op, x in zip(ops, xs[1:]):
                y = x(env)
                acc = acc | y if op == "∪" else acc & y if op == "∩" else acc - y
            return acc
        return setop

    def _SetLit(self, e: m.SetLit):
        xs = tuple(self.compile(x) for x in e.elems)
        return lambda env: frozenset(x(env) for x in xs)

    def _Card(self, e: m.Card):
        a = self.compile(e.operand)
        return lambda env: len(a(env))

    # ------------------------------------------------------------------ binders
    def _items(self, items):
        """A generator function: env -> every extended environment the items allow."""
        steps = []
        for it in items:
            if isinstance(it, m.Binder):
                if it.domain is None:
                    vals = finite_values(it.var_type)
                    if vals is None:
                        steps.append(("inf", it.name, it.var_type))
                    else:
                        steps.append(("vals", it.name, tuple(vals)))
                else:
                    steps.append(("dom", it.name, self.compile(it.domain)))
            else:
                steps.append(("cond", None, self.compile(it)))
        steps = tuple(steps)

        def gen(env, i=0):
            if i == len(steps):
                yield env
                return
            kind, name, x = steps[i]
            if kind == "cond":
                if x(env):
                    yield from gen(env, i + 1)
                return
            if kind == "inf":
                raise NotApplicable(f"`{name}: {x}` ranges over an infinite type; the explicit "
                                    "engine can only range over finite sets")
            vals = x if kind == "vals" else x(env)
            for v in vals:
                inner = dict(env)
                inner[name] = v
                yield from gen(inner, i + 1)
        return gen

    def _Quant(self, e: m.Quant):
        gen, body = self._items(e.items), self.compile(e.body)
        if e.kind == "∀":
            return lambda env: all(body(x) for x in gen(env))
        return lambda env: any(body(x) for x in gen(env))

    def _Sum(self, e: m.Sum):
        gen, body = self._items(e.items), self.compile(e.body)
        zero = 0 if e.type == INT else Fraction(0)
        return lambda env: sum((body(x) for x in gen(env)), zero)

    def _SetCompr(self, e: m.SetCompr):
        gen, head = self._items(e.items), self.compile(e.head)
        return lambda env: frozenset(head(x) for x in gen(env))


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(_show(x) for x in v)) + "}"
    return str(v)


def plain(v):
    """A value as a trace shows it: sets as sorted lists, tuples as dicts."""
    if isinstance(v, frozenset):
        return sorted((plain(x) for x in v), key=_sort_key)
    if isinstance(v, Record):
        return {k: plain(x) for k, x in v.items()}
    return v


def _sort_key(v):
    return (type(v).__name__, str(v)) if not isinstance(v, (int, Fraction)) else ("0", v)
