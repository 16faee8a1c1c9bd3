"""Type checking of expressions: syntax expressions in, typed model expressions out.

Errors are collected as diagnostics; a failed sub-expression becomes ``None`` and its parents
give up quietly, so one mistake yields one diagnostic, not a cascade.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Callable

from ..diagnostics import Diagnostic, suggest
from ..syntax import ast
from . import nodes as m
from .binders import BinderMixin
from .scope import Scope, TypeVarCell, numeric
from .types import (BOOL, CPU_T, INT, REAL, STRING, UNITS, QuantT, RecordT, SetT, Type, dim_of, quantity)

if TYPE_CHECKING:
    from .build import Builder


def _real_of(t: Type) -> Type:
    return REAL if t == INT else t


class ExprChecker(BinderMixin):
    def __init__(self, builder: "Builder", diags: list[Diagnostic]):
        self.b = builder
        self.diags = diags

    def error(self, code: str, msg: str, span, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, msg, span, hint=hint))

    # ----------------------------------------------------------------------- entry
    def check(self, e: ast.Expr, scope: Scope, expected: Type | None = None):
        method: Callable = getattr(self, "_" + type(e).__name__)
        node = method(e, scope)
        if node is None or expected is None:
            return node
        return self.coerce(node, expected, e.span)

    def check_bool(self, e, scope, what: str):
        node = self.check(e, scope)
        if node is None:
            return None
        if node.type != BOOL:
            self.error("FC307", f"{what} must be a Boolean formula, but this is {node.type}",
                       e.span, hint="compare it with something, e.g. `… ≥ 3/4`")
            return None
        return node

    # ----------------------------------------------------------------------- coercion
    def coerce(self, node, expected: Type, span, context: str = "here"):
        t = node.type
        if t == expected:
            return node
        if isinstance(t, TypeVarCell):
            t.bound = expected
            return node
        if t == INT and expected == REAL:
            return m.ToReal(node, REAL, span=node.span)
        if isinstance(expected, QuantT) and t in (INT, REAL):
            if isinstance(node, m.Lit) and (expected == CPU_T or node.value == 0):
                return m.Lit(Fraction(node.value), expected, span=node.span)
            if isinstance(node, m.Lit):
                self.error("FC306", f"the number {node.value} has no unit, but {expected} is "
                           f"expected {context}", span, hint=_unit_hint(expected))
                return None
        if isinstance(t, SetT) and isinstance(expected, SetT) and t.elem is None:
            return _retype_empty(node, expected)
        if isinstance(t, SetT) and isinstance(expected, SetT) and t.elem == INT and expected.elem == REAL:
            pass
        code = "FC302" if isinstance(t, QuantT) or isinstance(expected, QuantT) else "FC301"
        what = "unit mismatch" if code == "FC302" else "type mismatch"
        self.error(code, f"{what}: expected {expected}, found {t} {context}", span)
        return None

    def unify(self, a, b, span, op: str):
        """Bring two operands to one type (for = ≠ and if-then-else); returns (a, b, type)."""
        ta, tb = a.type, b.type
        if isinstance(ta, TypeVarCell) and not isinstance(tb, TypeVarCell):
            ta.bound = tb
            return a, b, tb
        if isinstance(tb, TypeVarCell) and not isinstance(ta, TypeVarCell):
            tb.bound = ta
            return a, b, ta
        if ta == tb:
            return a, b, ta
        if {ta, tb} == {INT, REAL}:
            return self.coerce(a, REAL, span), self.coerce(b, REAL, span), REAL
        if isinstance(ta, SetT) and isinstance(tb, SetT):
            if ta.elem is None:
                return _retype_empty(a, tb), b, tb
            if tb.elem is None:
                return a, _retype_empty(b, ta), ta
        if isinstance(ta, QuantT) and tb in (INT, REAL):
            b2 = self.coerce(b, ta, b.span or span, f"on the right of `{op}`")
            return a, b2, ta
        if isinstance(tb, QuantT) and ta in (INT, REAL):
            a2 = self.coerce(a, tb, a.span or span, f"on the left of `{op}`")
            return a2, b, tb
        if isinstance(ta, QuantT) or isinstance(tb, QuantT):
            self.error("FC302", f"unit mismatch: `{op}` between {ta} and {tb}", span,
                       hint="quantities of different dimensions cannot be compared or added")
        else:
            self.error("FC301", f"type mismatch: `{op}` between {ta} and {tb}", span)
        return None, None, None

    # ----------------------------------------------------------------------- machines
    def _Temporal(self, e: ast.Temporal, scope: Scope):
        if scope.ctx is None or not scope.ctx.temporal:
            where = ("a guard, an update or a bound of a machine" if scope.ctx is not None
                     else "a formula about values (a definition, an assumption or a check "
                          "without `⊨`)")
            self.error("FC504", f"temporal operator `{e.op}` in {where}, where a state "
                       "predicate is required", e.span,
                       hint="temporal operators state properties of a machine's runs: "
                            "`check name: M ⊨ always …`")
            return None
        if e.bound is not None and e.op not in ("always", "eventually"):
            self.error("FC301", f"`within` bounds `always` and `eventually`, not `{e.op}`", e.span)
            return None
        ops = []
        for x in e.operands:
            node = self.check_bool(x, scope, f"the operand of `{e.op}`")
            if node is None:
                return None
            ops.append(node)
        return m.Temporal(e.op, tuple(ops), e.bound, span=e.span)

    def _Models(self, e: ast.Models, scope: Scope):
        self.error("FC507", "`⊨` stands only at the top of a check", e.span,
                   hint="write `check name: M ⊨ φ`")
        return None

    # ----------------------------------------------------------------------- atoms
    def _Name(self, e: ast.Name, scope: Scope):
        n = e.name
        if n in scope.vars:
            t = scope.vars[n]
            if isinstance(t, TypeVarCell) and t.bound is not None:
                t = t.bound
            return m.Var(n, t, span=e.span)
        return self.b.resolve_value(n, e.span, self)

    def _Number(self, e: ast.Number, scope):
        if e.is_int:
            return m.Lit(int(e.value), INT, span=e.span)
        return m.Lit(e.value, REAL, span=e.span)

    def _Quantity(self, e: ast.Quantity, scope):
        if e.unit not in UNITS:
            hint = suggest(e.unit, UNITS) or ("known units: " + " ".join(sorted(UNITS, key=str.lower)))
            self.error("FC105", f"unknown unit `{e.unit}` in `{e.value}{e.unit}`", e.span, hint=hint)
            return None
        dim, factor = UNITS[e.unit]
        return m.Lit(e.value * factor, quantity(dim), span=e.span)

    def _String(self, e, scope):
        return m.Lit(e.value, STRING, span=e.span)

    def _BoolLit(self, e, scope):
        return m.Lit(e.value, BOOL, span=e.span)

    def _SetOf(self, e, scope):
        self.error("FC208", "`set T` is a type; it can only stand for a parameter's type", e.span)
        return None

    # ----------------------------------------------------------------------- logic
    def _Unary(self, e: ast.Unary, scope):
        x = self.check(e.operand, scope)
        if x is None:
            return None
        if e.op == "¬":
            x = self.coerce(x, BOOL, e.operand.span, "after `¬`")
            return m.Not(x, span=e.span) if x is not None else None
        if not (x.type in (INT, REAL) or isinstance(x.type, QuantT)):
            self.error("FC308", f"unary `-` needs a number, found {x.type}", e.span)
            return None
        return m.Neg(x, x.type, span=e.span)

    def _Nary(self, e: ast.Nary, scope):
        ops = [self.check(x, scope, BOOL) for x in e.operands]
        if any(o is None for o in ops):
            return None
        return m.BoolOp(e.op, tuple(ops), span=e.span)

    def _Implies(self, e: ast.Implies, scope):
        a, b = self.check(e.left, scope, BOOL), self.check(e.right, scope, BOOL)
        if a is None or b is None:
            return None
        return m.Implies(a, b, span=e.span)

    def _Compare(self, e: ast.Compare, scope):
        a, b = self.check(e.left, scope), self.check(e.right, scope)
        if a is None or b is None:
            return None
        op = e.op
        if op in ("∈", "∉"):
            st = b.type
            if not isinstance(st, SetT):
                self.error("FC301", f"the right side of `{op}` must be a set, found {st}",
                           e.right.span)
                return None
            if st.elem is not None:
                a = self.coerce(a, st.elem, e.left.span, f"as an element of {st}")
                if a is None:
                    return None
            return m.Member(a, b, negated=(op == "∉"), span=e.span)
        if op == "⊆":
            a, b, t = self.unify(a, b, e.span, op)
            if t is None:
                return None
            if not isinstance(t, SetT):
                self.error("FC308", f"`⊆` compares sets, found {t}", e.span)
                return None
            return m.Subset(a, b, span=e.span)
        a, b, t = self.unify(a, b, e.span, op)
        if t is None:
            return None
        if op in ("<", "≤", ">", "≥") and not numeric(t):
            self.error("FC308", f"`{op}` compares numbers or quantities, found {t}", e.span)
            return None
        return m.Cmp(op, a, b, span=e.span)

    # ----------------------------------------------------------------------- arithmetic
    def _Chain(self, e: ast.Chain, scope):
        operands = [self.check(x, scope) for x in e.operands]
        if any(o is None for o in operands):
            return None
        set_ops = {"∪", "∩", "\\"}
        if any(op in set_ops for op in e.ops):
            return self._set_chain(e, operands)
        acc = operands[0]
        out = [acc]
        t = acc.type
        for op, rhs_syn, rhs in zip(e.ops, e.operands[1:], operands[1:]):
            t, lhs_new, rhs = self._arith_type(op, t, out, rhs, e.span, rhs_syn)
            if t is None:
                return None
            out = lhs_new + [rhs]
        return m.Arith(tuple(e.ops), tuple(out), t, span=e.span)

    def _arith_type(self, op, t, done, rhs, span, rhs_syn):
        """Type of ``(done…) op rhs``; may coerce earlier operands (Int → Real, literal → CPU)."""
        u = rhs.type
        for x in (t, u):
            if isinstance(x, TypeVarCell):
                self.error("FC305", f"cannot infer the type of `{x.name}` from arithmetic",
                           x.span, hint=f"give the parameter a type: `{x.name}: CPU`")
                return None, done, rhs
            if not numeric(x):
                self.error("FC308", f"`{op}` needs numbers or quantities, found {x}", span)
                return None, done, rhs
        if op in ("+", "-"):
            if t == u:
                return t, done, rhs
            if {t, u} == {INT, REAL}:
                return REAL, [self._to_real(x) for x in done], self._to_real(rhs)
            if isinstance(t, QuantT) and u in (INT, REAL):
                r = self.coerce(rhs, t, rhs_syn.span, f"in `… {op} …`")
                return (t if r is not None else None), done, r
            if isinstance(u, QuantT) and t in (INT, REAL) and len(done) == 1:
                d = self.coerce(done[0], u, span, f"in `… {op} …`")
                return (u if d is not None else None), [d], rhs
            verb = "add" if op == "+" else "subtract"
            self.error("FC302", f"unit mismatch: cannot {verb} {u} {'to' if op == '+' else 'from'} {t}",
                       span, hint="both sides of + and - must have the same dimension")
            return None, done, rhs
        # × and /
        if op == "/" and isinstance(rhs, m.Lit) and rhs.value == 0:
            self.error("FC309", "division by zero", rhs_syn.span)
            return None, done, rhs
        dt, du = dim_of(t), dim_of(u)
        if op == "×":
            dim = tuple(a + b for a, b in zip(dt, du))
            if t == INT and u == INT:
                return INT, done, rhs
        else:
            dim = tuple(a - b for a, b in zip(dt, du))
        res = quantity(dim)  # type: ignore[arg-type]
        return res, [self._to_real(x) for x in done], self._to_real(rhs)

    @staticmethod
    def _to_real(x):
        return m.ToReal(x, REAL, span=x.span) if x is not None and x.type == INT else x

    def _set_chain(self, e, operands):
        t = None
        for op, x in zip(("",) + e.ops, operands):
            if op and op not in ("∪", "∩", "\\"):
                self.error("FC308", f"`{op}` cannot be mixed with set operations", e.span)
                return None
            if not isinstance(x.type, SetT):
                self.error("FC301", f"set operation on a non-set ({x.type})", x.span)
                return None
            if t is None or t.elem is None:
                t = x.type
            elif x.type.elem is not None and x.type != t:
                self.error("FC301", f"set operation between {t} and {x.type}", e.span)
                return None
        operands = [(_retype_empty(x, t) if x.type.elem is None else x) for x in operands]
        return m.SetOp(tuple(e.ops), tuple(operands), t, span=e.span)

    # ----------------------------------------------------------------------- calls, fields
    def _Call(self, e: ast.Call, scope):
        if not isinstance(e.func, ast.Name):
            self.error("FC304", "only a named function, predicate, metric or tuple type can be "
                       "applied", e.func.span)
            return None
        return self.b.resolve_call(e, scope, self)

    def check_args(self, e: ast.Call, scope, param_types, what: str):
        name = e.func.name  # type: ignore[union-attr]
        if len(e.args) != len(param_types):
            self.error("FC303", f"{what} `{name}` takes {len(param_types)} argument"
                       f"{'s' if len(param_types) != 1 else ''}, {len(e.args)} given", e.span)
            return None
        out = []
        for i, (a, pt) in enumerate(zip(e.args, param_types)):
            if a.name is not None:
                self.error("FC301", f"`{name}` takes positional arguments; drop `{a.name}:`",
                           a.span)
                return None
            x = self.check(a.value, scope)
            if x is None:
                return None
            x = self.coerce(x, pt, a.value.span, f"as argument {i + 1} of `{name}`")
            if x is None:
                return None
            out.append(x)
        return tuple(out)

    def _FieldAccess(self, e: ast.FieldAccess, scope):
        obj = self.check(e.obj, scope)
        if obj is None:
            return None
        t = obj.type
        if isinstance(t, TypeVarCell):
            self.error("FC305", f"cannot infer the type of `{t.name}` from `.{e.field}`", t.span,
                       hint=f"give the parameter a type, e.g. `{t.name}: Container`")
            return None
        if not isinstance(t, RecordT):
            self.error("FC308", f"`.{e.field}`: {t} has no fields", e.span)
            return None
        ft = t.field_type(e.field)
        if ft is None:
            names = [n for n, _ in t.fields]
            self.error("FC205", f"{t.name} has no field `{e.field}`", e.span,
                       hint=suggest(e.field, names) or f"its fields: {', '.join(names)}")
            return None
        return m.FieldGet(obj, e.field, ft, span=e.span)

    # ----------------------------------------------------------------------- sets
    def _SetLit(self, e: ast.SetLit, scope):
        elems = [self.check(x, scope) for x in e.elems]
        if any(x is None for x in elems):
            return None
        if not elems:
            return m.SetLit((), SetT(None), span=e.span)
        t = elems[0].type
        for x in elems[1:]:
            if x.type != t:
                if {x.type, t} == {INT, REAL}:
                    t = REAL
                    continue
                self.error("FC301", f"a set's elements must have one type: {t} and {x.type}",
                           x.span)
                return None
        elems = [self.coerce(x, t, x.span) for x in elems]
        return m.SetLit(tuple(elems), SetT(t), span=e.span)

    def _Card(self, e: ast.Card, scope):
        x = self.check(e.operand, scope)
        if x is None:
            return None
        if not isinstance(x.type, SetT):
            self.error("FC308", f"`|…|` is the size of a set, found {x.type}", e.span)
            return None
        return m.Card(x, span=e.span)

    def _Ite(self, e: ast.Ite, scope):
        c = self.check(e.cond, scope, BOOL)
        a, b = self.check(e.then, scope), self.check(e.orelse, scope)
        if c is None or a is None or b is None:
            return None
        a, b, t = self.unify(a, b, e.span, "if-then-else")
        if t is None:
            return None
        return m.Ite(c, a, b, t, span=e.span)


def _retype_empty(node, t: SetT):
    if isinstance(node, m.SetLit) and not node.elems:
        return m.SetLit((), t, span=node.span)
    return node


def _unit_hint(t: Type) -> str:
    examples = {"Bytes": "512MiB or 1GB", "Time": "20ms or 2s", "Bandwidth": "100Mbps"}
    ex = examples.get(str(t))
    return f"write it with a unit, e.g. {ex}" if ex else "write it with a unit"
