"""The syntax tree of a .iot file: frozen dataclasses, each with the span it came from.

Spans and nesting depth are excluded from equality, so two trees compare equal exactly when
they say the same thing (this is what the formatter's round-trip property relies on).
Operator spellings are normalised to their Unicode form by the parser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union

from ..diagnostics import Span


def _span() -> Span:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


def _depth() -> int:
    return field(default=1, compare=False, repr=False)  # type: ignore[return-value]


class Node:
    """Base of all syntax nodes; lets Lark read a node's position when it builds a parent."""

    __slots__ = ()

    def __lark_meta__(self):
        return self.span  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- types
@dataclass(frozen=True)
class NamedType(Node):
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class SetType(Node):
    elem: "TypeExpr"
    span: Span = _span()


TypeExpr = Union[NamedType, SetType]


# ----------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Name(Node):
    name: str
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Number(Node):
    """A unit-less numeric literal; ``text`` is kept so that ``fmt`` prints it as written."""
    value: Fraction
    is_int: bool
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Quantity(Node):
    """A number with a unit, such as ``512MiB``, ``500m`` or ``20ms``."""
    value: Fraction
    unit: str
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class String(Node):
    value: str
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "¬" or "-"
    operand: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Nary(Node):
    """An associative chain: ``∧``, ``∨`` or ``⇔`` over two or more operands."""
    op: str
    operands: tuple["Expr", ...]
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Implies(Node):
    left: "Expr"
    right: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Compare(Node):
    op: str  # = ≠ < ≤ > ≥ ∈ ∉ ⊆
    left: "Expr"
    right: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Chain(Node):
    """A left-associative arithmetic or set chain ``a op1 b op2 c``; ``ops[i]`` joins
    ``operands[i]`` and ``operands[i + 1]``. Additive (+ - ∪ \\) or multiplicative (× / ∩)."""
    ops: tuple[str, ...]
    operands: tuple["Expr", ...]
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Arg(Node):
    """An argument: positional (``name`` is None) or named (``cpu: 4``, ``c: Container``)."""
    name: str | None
    value: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Call(Node):
    func: "Expr"
    args: tuple[Arg, ...]
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class FieldAccess(Node):
    obj: "Expr"
    field: str
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class SetLit(Node):
    elems: tuple["Expr", ...]
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class TypedBinder(Node):
    name: str
    type: TypeExpr
    span: Span = _span()
    depth: int = _depth()


#: A quantifier item: ``x: T``, or an expression (``x ∈ S`` binds x when x is new there,
#: otherwise it is a filter condition).
QItem = Union[TypedBinder, "Expr"]


@dataclass(frozen=True)
class SetCompr(Node):
    head: "Expr"
    items: tuple[QItem, ...]
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Card(Node):
    operand: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Quant(Node):
    kind: str  # "∀" or "∃"
    items: tuple[QItem, ...]
    body: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Sum(Node):
    items: tuple[QItem, ...]
    body: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Ite(Node):
    cond: "Expr"
    then: "Expr"
    orelse: "Expr"
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class SetOf(Node):
    """``set T`` written where an expression may stand (a parameter's type)."""
    elem: "Expr"
    span: Span = _span()
    depth: int = _depth()


Expr = Union[Name, Number, Quantity, String, BoolLit, Unary, Nary, Implies, Compare, Chain,
             Call, FieldAccess, SetLit, SetCompr, Card, Quant, Sum, Ite, SetOf]


# ----------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Annotation(Node):
    key: str
    value: str | None
    span: Span = _span()


@dataclass(frozen=True)
class Import(Node):
    target: str
    is_path: bool  # "rel/path.iot" (True) or a bundled module name (False)
    span: Span = _span()


@dataclass(frozen=True)
class EnumDecl(Node):
    """``Name = {a, b, c}``: a new enumeration, or a named set of existing constants."""
    name: str
    members: tuple[Name, ...]
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class FieldDecl(Node):
    name: str | None  # None: the seed's form, the component named by its type
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class TupleDecl(Node):
    name: str
    fields: tuple[FieldDecl, ...]
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class FuncSig(Node):
    """``f: A × B → C`` (a function, uninterpreted unless a table gives its values)."""
    name: str
    domain: tuple[TypeExpr, ...]
    codomain: TypeExpr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class ValueSig(Node):
    """``x: T``: an uninterpreted constant."""
    name: str
    type: TypeExpr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class DefDecl(Node):
    """``P(x: T, ...) := body`` (predicate or metric); ``params`` are Args as written."""
    name: str
    params: tuple[Arg, ...]
    body: Expr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class ConstDecl(Node):
    """``x := expr``: a named value (an instance, a set of instances, a threshold, ...)."""
    name: str
    body: Expr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class EntryDecl(Node):
    """``f(a, b) = v``: one row of a function table."""
    name: str
    args: tuple[Arg, ...]
    value: Expr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class CheckStmt(Node):
    kind: str  # "valid" or "sat"
    name: str | None
    formula: Expr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class AssumeStmt(Node):
    name: str | None
    formula: Expr
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


Decl = Union[EnumDecl, TupleDecl, FuncSig, ValueSig, DefDecl, ConstDecl, EntryDecl]
Item = Union[Import, Decl, CheckStmt, AssumeStmt]


@dataclass(frozen=True)
class Module:
    """One parsed file."""
    file: str
    items: tuple[Item, ...]
