"""Type checking of binders: quantifiers, sums and set comprehensions, and their items."""
from __future__ import annotations

from ..syntax import ast
from . import nodes as m
from .scope import Scope, numeric
from .types import SetT


class BinderMixin:
    """Binders and their items for the ExprChecker (a mixin): quantifiers, sums and set
    comprehensions."""

    def items(self, items, scope: Scope, span, what: str):
        """Binders and conditions of a quantifier, sum or comprehension; returns (items, scope)."""
        inner = scope.child()
        out: list = []
        bound: set[str] = set()
        pending: list[ast.Name] = []  # `x, y ∈ S`: bare names waiting for the next domain
        for it in items:
            if isinstance(it, ast.TypedBinder):
                t = self.b.resolve_type(it.type, self)
                if t is None or not self._bindable(it.name, it.span):
                    return None, None
                for pn in pending:
                    out.append(self._bind(pn.name, t, None, pn.span, inner, bound))
                pending.clear()
                out.append(self._bind(it.name, t, None, it.span, inner, bound))
            elif isinstance(it, ast.Compare) and it.op == "∈" and isinstance(it.left, ast.Name) \
                    and it.left.name not in bound and (not out or (
                        it.left.name not in inner.vars and self.b.lookup_kind(it.left.name) is None)):
                # `x ∈ S` binds x when it comes first, or when x is a new name; a declared name
                # (`Blue ∈ c.tags`) or a bound one makes it a condition
                if not self._bindable(it.left.name, it.left.span):
                    return None, None
                dom = self.check(it.right, inner)
                if dom is None:
                    return None, None
                if not isinstance(dom.type, SetT) or dom.type.elem is None:
                    self.error("FC301", f"`{it.left.name} ∈ …` needs a non-empty set type, "
                               f"found {dom.type}", it.right.span)
                    return None, None
                for pn in pending:
                    out.append(self._bind(pn.name, dom.type.elem, dom, pn.span, inner, bound))
                pending.clear()
                out.append(self._bind(it.left.name, dom.type.elem, dom, it.span, inner, bound))
            elif isinstance(it, ast.Name) and it.name not in inner.vars and \
                    self.b.lookup_kind(it.name) is None:
                pending.append(it)
            else:
                if not out:
                    self.error("FC310", f"{what} must start with a binder (`x ∈ S` or `x: T`)",
                               getattr(it, "span", span))
                    return None, None
                c = self.check_bool(it, inner, f"a condition of a {what}")
                if c is None:
                    return None, None
                out.append(c)
        if pending:
            self.error("FC310", f"`{pending[0].name}` has no domain: write `{pending[0].name} ∈ S` "
                       f"or `{pending[0].name}: T`", pending[0].span)
            return None, None
        if not any(isinstance(x, m.Binder) for x in out):
            self.error("FC310", f"{what} binds no variable", span)
            return None, None
        return tuple(out), inner

    def _bindable(self, name: str, span) -> bool:
        kind = self.b.lookup_kind(name)
        if kind is None:
            return True
        what = {"member": "an enumeration member", "def": "a definition", "const": "a constant",
                "func": "a function", "enum": "a type", "record": "a type", "set": "a named set",
                "builtin": "a built-in type", "machine": "a machine",
                "schedule": "a schedule"}.get(kind, "declared")
        self.error("FC310", f"`{name}` is {what}; a bound variable needs a name of its own",
                   span, hint=f"rename the variable, e.g. `{name[0].lower()}{name[1:]}_`"
                   if name[:1].isupper() else "rename the variable")
        return False

    def _bind(self, name, t, dom, span, inner: Scope, bound: set):
        if name in bound:
            self.error("FC310", f"`{name}` is bound twice", span)
        bound.add(name)
        inner.vars[name] = t
        return m.Binder(name, t, dom, span=span)

    def _SetCompr(self, e: ast.SetCompr, scope):
        # `{x ∈ S | P(x)}` is the filter form; `{f(x) | x ∈ S, …}` the map form.
        if isinstance(e.head, ast.Compare) and e.head.op == "∈" and \
                isinstance(e.head.left, ast.Name) and self.b.lookup_kind(e.head.left.name) is None \
                and (e.head.left.name not in scope.vars or not self._binder_first(e.items, scope)):
            # (a variable bound outside is shadowed: the map form would need a binder first)
            items, inner = self.items((e.head,) + tuple(e.items), scope, e.span, "set comprehension")
            if items is None:
                return None
            head = m.Var(e.head.left.name, items[0].var_type, span=e.head.left.span)
        else:
            items, inner = self.items(e.items, scope, e.span, "set comprehension")
            if items is None:
                return None
            head = self.check(e.head, inner)
            if head is None:
                return None
        return m.SetCompr(head, items, SetT(head.type), span=e.span)

    def _binder_first(self, items, scope) -> bool:
        """Whether ``items`` start with a binder (`x: T`, or `x ∈ S` with x not yet bound)."""
        if not items:
            return False
        first = items[0]
        if isinstance(first, ast.TypedBinder):
            return True
        return isinstance(first, ast.Compare) and first.op == "∈" and \
            isinstance(first.left, ast.Name) and first.left.name not in scope.vars and \
            self.b.lookup_kind(first.left.name) is None

    def _Quant(self, e: ast.Quant, scope):
        what = "quantifier"
        items, inner = self.items(e.items, scope, e.span, what)
        if items is None:
            return None
        body = self.check_bool(e.body, inner, "the body of a quantifier")
        if body is None:
            return None
        return m.Quant(e.kind, items, body, span=e.span)

    def _Sum(self, e: ast.Sum, scope):
        items, inner = self.items(e.items, scope, e.span, "sum")
        if items is None:
            return None
        body = self.check(e.body, inner)
        if body is None:
            return None
        if not numeric(body.type):
            self.error("FC308", f"Σ adds numbers or quantities, found {body.type}", e.body.span)
            return None
        return m.Sum(items, body, body.type, span=e.span)
