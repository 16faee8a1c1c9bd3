"""Reading a flat chain of operands and operators as mathematics (precedence climbing).

The grammar hands over each statement as a flat list; this module gives it structure, loosest
first::

    :  |  (a signature, "such that", a quantifier's body separator; also a spaced `.`)
    ≜                    definition inside an expression (right)
    ∀ ∃                  quantifiers: binders, then a body that extends right
    ⇔ ≡ ↔
    ⇒ → ↦ ← ⇐           (right-associative)
    ∨
    ∧
    ¬                    prefix
    = ≠ < ≤ ∈ ∉ ⊆ …      comparisons (chains such as a < b < c are left-nested)
    + - ∪ \\ ⊕
    × · / ∩ ∘ mod        and implicit products (`2x`, `w_i c_i`)
    - (prefix)
    Σ Π min max …        big operators: their body is a product
    .                    field access (`c.cpu`, written without spaces)

A ``|`` where an operand is expected opens a cardinality ``|S|``; where an operator is
expected it closes the innermost open one, or else means "such that". A statement of the form
``head = …`` whose head is a name (possibly scripted or applied to arguments) is a
:class:`~formalc.extract.terms.Define`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .lexer import LatexError
from .terms import (
    Apply,
    Big,
    Bin,
    Const,
    Decor,
    Define,
    Delim,
    Group,
    Name,
    Prime,
    Quant,
    Script,
    Term,
    Text,
    Un,
)


@dataclass(frozen=True)
class Tk:
    """An operator of a chain: ``kind`` is op, bar, dbar, prefix, quant or bigop."""
    kind: str
    value: str
    pos: int
    end: int
    scripts: tuple = ()


_BP = {":": 1, "|": 1, "≜": 2, "⇔": 4, "≡": 4, "↔": 4, "⇒": 5, "→": 5, "↦": 5, "←": 5,
       "⇐": 5, "⇀": 5, "∨": 6, "∧": 7}
for _op in ["=", "≠", "<", ">", "≤", "≥", "∈", "∉", "∋", "⊆", "⊂", "⊇", "⊃", "⊈", "≢", "≈", "∼", "≃", "≅", "∝", "⊨", "⊢", "≪", "≫", "≺", "⪯", "≻", "⪰", "⊑", "∥", "⊥"]:
    _BP[_op] = 9
for _op in ["+", "-", "∪", "\\", "⊕", "⊖", "±", "∓"]:
    _BP[_op] = 10
for _op in ["×", "·", "/", "∩", "⊗", "∘", "mod"]:
    _BP[_op] = 11
_BP["."] = 14
_RIGHT = {"⇒", "→", "↦", "←", "⇐", "⇀", "≜"}
_NOT_BP = 8          # ¬ P: P is parsed above ∧
_QUANT_BP = 3
_PRODUCT_BP = 11
_NEG_BP = 12
_DEF_OPS = {"=", "≜"}
#: Operators that may end binders: `∀ x ∈ S : P`, `∀ x ∈ S | P`, `∀ x ∈ S . P`.
_BINDER_SEPS = {":", "|", "."}


def _pos(x) -> int:
    return x.pos


def _end(x) -> int:
    return x.end


class _Reader:
    def __init__(self, items: list) -> None:
        self.items = items
        self.i = 0
        self.open_bars: list[str] = []

    def peek(self):
        return self.items[self.i] if self.i < len(self.items) else None

    def take(self):
        x = self.items[self.i]
        self.i += 1
        return x

    # ---------------------------------------------------------------------------------
    def _infix(self, x) -> tuple[str, int] | None:
        """The operator ``x`` stands for in operator position, with its binding power."""
        if not isinstance(x, Tk):
            return None
        if x.kind == "op":
            op = x.value
            if op == ".":
                return (".", _BP["."]) if self._tight(x) else (":", 1)
            if op == "-":
                return "-", _BP["-"]
            return op, _BP.get(op, 9)
        if x.kind in ("bar", "dbar"):
            sym = "|" if x.kind == "bar" else "‖"
            if sym in self.open_bars:
                return None        # closes a cardinality: the caller takes it
            return ("|", 1) if x.kind == "bar" else None
        return None

    def _tight(self, dot: Tk) -> bool:
        prev = self.items[self.i - 1] if self.i > 0 else None
        nxt = self.items[self.i + 1] if self.i + 1 < len(self.items) else None
        return (prev is not None and nxt is not None and not isinstance(prev, Tk)
                and not isinstance(nxt, Tk) and prev.end == dot.pos and nxt.pos == dot.end)

    def _starts_operand(self, x) -> bool:
        if x is None:
            return False
        if not isinstance(x, Tk):
            return True
        if x.kind in ("bar", "dbar"):
            return False          # in operator position a bar closes or means "such that"
        return x.kind in ("bigop",)

    def expr(self, min_bp: int = 0, juxt: bool = True) -> Term:
        left = self.operand(juxt)
        while True:
            x = self.peek()
            if x is None:
                return left
            inf = self._infix(x)
            if inf is None:
                if juxt and self._starts_operand(x) and _PRODUCT_BP > min_bp:
                    right = self.expr(_PRODUCT_BP, juxt)
                    left = Bin("·", left, right, True, pos=_pos(left), end=_end(right))
                    continue
                return left
            op, bp = inf
            if bp <= min_bp:
                return left
            self.take()
            if op == "." and bp == _BP["."]:
                right = self.operand(False)
                left = Bin(".", left, right, pos=_pos(left), end=_end(right))
                continue
            nxt = bp - 1 if op in _RIGHT else bp
            if self.peek() is None:
                raise LatexError(f"`{op}` has nothing on its right", x.pos)
            right = self.expr(nxt, juxt)
            left = Bin(op, left, right, pos=_pos(left), end=_end(right))

    def operand(self, juxt: bool = True) -> Term:
        x = self.peek()
        if x is None:
            last = self.items[-1] if self.items else None
            raise LatexError("the formula stops where an operand is expected",
                             last.end if last is not None else 0)
        if not isinstance(x, Tk):
            self.take()
            return x
        self.take()
        if x.kind == "prefix":
            arg = self.expr(_NOT_BP, juxt)
            return Un("¬", arg, pos=x.pos, end=_end(arg))
        if x.kind == "op" and x.value == "-":
            arg = self.expr(_NEG_BP, juxt)
            return Un("-", arg, pos=x.pos, end=_end(arg))
        if x.kind == "op" and x.value in ("+", "±"):
            return self.expr(_NEG_BP, juxt)
        if x.kind in ("bar", "dbar"):
            sym = "|" if x.kind == "bar" else "‖"
            self.open_bars.append(sym)
            inner = self.expr(0)
            self.open_bars.pop()
            close = self.peek()
            if not (isinstance(close, Tk) and close.kind == x.kind):
                raise LatexError(f"`{sym}` opened here is never closed", x.pos)
            self.take()
            return Delim(sym, inner, pos=x.pos, end=close.end)
        if x.kind == "quant":
            return self.quantifier(x)
        if x.kind == "bigop":
            sub = sup = None
            for kind, t in x.scripts:
                if kind == "sub":
                    sub = t
                else:
                    sup = t
            body = None
            if self.peek() is not None and (not isinstance(self.peek(), Tk)
                                            or self.peek().kind in ("prefix", "bigop", "bar",
                                                                    "dbar", "quant")
                                            or self.peek().value == "-"):
                body = self.expr(_PRODUCT_BP - 1, juxt)
            if body is None:
                raise LatexError(f"`{x.value}` has no body", x.pos)
            return Big(x.value, sub, sup, body, pos=x.pos, end=_end(body))
        raise LatexError(f"`{x.value}` where an operand is expected", x.pos)

    def quantifier(self, q: Tk) -> Quant:
        binders = [self.expr(_QUANT_BP, juxt=False)]
        body = None
        x = self.peek()
        if isinstance(x, Tk) and x.kind in ("op", "bar") and (
                x.value in _BINDER_SEPS or x.kind == "bar"):
            self.take()
            body = self.expr(_QUANT_BP - 1)
        elif x is not None and self._starts_operand(x) or isinstance(x, Tk) and x.kind in (
                "prefix", "quant"):
            body = self.expr(_QUANT_BP - 1)
        elif x is not None and (isinstance(x, Tk) and x.kind == "op"
                                and _BP.get(x.value, 9) > _QUANT_BP):
            raise LatexError(f"`{x.value}` after the binders of `{q.value}`", x.pos)
        end = _end(body) if body is not None else _end(binders[-1])
        return Quant(q.value, tuple(binders), body, pos=q.pos, end=end)


def _head_like(t: Term) -> bool:
    match t:
        case Name() | Text():
            return True
        case Script(base=b, sub=s):
            return _head_like(b) and (s is None or isinstance(s, (Name, Text, Const))
                                      or _flat_script(s))
        case Prime(base=b) | Decor(arg=b):
            return _head_like(b)
        case Apply(fn=f):
            return _head_like(f)
        case Group(kind="{", items=(x,)):
            return _head_like(x)
    return False


def _flat_script(t: Term) -> bool:
    from .terms import Num
    match t:
        case Name() | Num() | Text():
            return True
        case Group(kind="{", items=items):
            return all(_flat_script(i) for i in items)
        case Bin(op=op, left=a, right=b) if op in ("·", ","):
            return _flat_script(a) and _flat_script(b)
    return False


def resolve(items: list, top: bool = False) -> Term:
    """The term a flat chain ``items`` reads as; ``top`` marks a statement of the formula
    (where ``head = …`` is a definition). Raises :class:`LatexError` (with an offset)."""
    items = [x for x in items if not (isinstance(x, Tk) and x.kind == "op" and x.value == "."
                                      and x is items[-1])]   # a full stop ending a sentence
    if not items:
        raise LatexError("an empty statement", 0)
    if top and len(items) >= 3 and not isinstance(items[0], Tk) and isinstance(items[1], Tk) \
            and items[1].kind == "op" and items[1].value in _DEF_OPS and _head_like(items[0]):
        rhs = _run(items[2:])
        return Define(items[0], items[1].value, rhs, pos=items[0].pos, end=_end(rhs))
    return _run(items)


def _run(items: list) -> Term:
    r = _Reader(items)
    t = r.expr(0)
    if r.i < len(items):
        x = items[r.i]
        what = x.value if isinstance(x, Tk) else "this"
        if isinstance(x, Tk) and x.kind in ("bar", "dbar"):
            raise LatexError(f"`{x.value}` closes nothing", x.pos)
        raise LatexError(f"unexpected `{what}`", x.pos)
    return t


def merge_quantifiers(stmts: list[Term]) -> list[Term]:
    """``∀ x ∈ S, y ∈ T, P(x, y)`` was split at its commas: give a quantifier without a body
    the following statements, as further binders while they bind a new name, the last as the
    body."""
    out: list[Term] = []
    i = 0
    while i < len(stmts):
        t = stmts[i]
        if isinstance(t, Quant) and t.body is None and i + 1 < len(stmts):
            binders = list(t.binders)
            bound = {n for b in binders for n in _bound_names(b)}
            j = i + 1
            while j < len(stmts) - 1 and _binder_like(stmts[j], bound):
                binders.append(stmts[j])
                bound |= set(_bound_names(stmts[j]))
                j += 1
            body = stmts[j]
            out.append(Quant(t.q, tuple(binders), body, pos=t.pos, end=_end(body)))
            i = j + 1
            continue
        out.append(t)
        i += 1
    return out


def _bound_names(b: Term) -> list[str]:
    match b:
        case Name(text=s):
            return [s]
        case Bin(op=op, left=Name(text=s)) if op in ("∈", ":", "⊆"):
            return [s]
    return []


def _binder_like(t: Term, bound: set[str]) -> bool:
    names = _bound_names(t)
    return bool(names) and not (set(names) & bound)


__all__ = ["Const", "Group", "Tk", "merge_quantifiers", "resolve"]
