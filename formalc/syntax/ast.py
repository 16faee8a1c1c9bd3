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


@dataclass(frozen=True)
class Temporal(Node):
    """A temporal operator: ``always``/``eventually``/``next`` (one operand, an optional
    ``within k`` bound), ``until`` and ``~>`` (two operands)."""
    op: str  # "always" "eventually" "next" "until" "~>"
    operands: tuple["Expr", ...]
    bound: int | None = None
    span: Span = _span()
    depth: int = _depth()


@dataclass(frozen=True)
class Models(Node):
    """``M ⊨ φ``: machine ``M`` satisfies the property ``φ``."""
    machine: "Expr"
    prop: "Expr"
    span: Span = _span()
    depth: int = _depth()


Expr = Union[Name, Number, Quantity, String, BoolLit, Unary, Nary, Implies, Compare, Chain,
             Call, FieldAccess, SetLit, SetCompr, Card, Quant, Sum, Ite, SetOf, Temporal, Models]


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


# ----------------------------------------------------------------------------- machines
@dataclass(frozen=True)
class EvRef(Node):
    """An event, optionally of a component: ``start`` or ``c.start``."""
    component: str | None
    event: str
    span: Span = _span()


@dataclass(frozen=True)
class Assign(Node):
    """``x := e`` in a ``do`` list or an effect."""
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class ActionRef(Node):
    """A bare name in a ``do`` list: an action (an enumeration member) or a named effect."""
    name: str
    span: Span = _span()


DoItem = Union[Assign, ActionRef]


@dataclass(frozen=True)
class MSig(Node):
    """``δ: States × Events → States`` inside a machine: names its state and event types."""
    name: str
    domain: tuple[TypeExpr, ...]
    codomain: TypeExpr | None
    span: Span = _span()


@dataclass(frozen=True)
class MStates(Node):
    """``initial S``, ``final S, T``, ``internal e, f`` or ``fair e, c.f``."""
    kind: str  # "initial" "final" "internal" "fair"
    names: tuple[EvRef, ...]
    span: Span = _span()


@dataclass(frozen=True)
class MVar(Node):
    name: str
    type: TypeExpr
    init: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class MParam(Node):
    """``param N ∈ lo..hi``: a rigid integer parameter with bounds."""
    name: str
    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class MEffect(Node):
    """``effect spawn: restarts := restarts + 1, SpawnInit``: a named effect."""
    name: str
    items: tuple[DoItem, ...]
    span: Span = _span()


@dataclass(frozen=True)
class MRow(Node):
    """``δ(s, e) = t [when g] [do …]``: one row of the transition table."""
    func: str
    src: Name
    event: Name
    dst: Name
    guard: Expr | None
    effects: tuple[DoItem, ...]
    span: Span = _span()


@dataclass(frozen=True)
class MComponent(Node):
    """``c[1..N]: Lifecycle``: N interleaved instances of a machine."""
    name: str
    lo: Expr
    hi: Expr
    machine: Name
    span: Span = _span()


@dataclass(frozen=True)
class MSync(Node):
    """``c.start, c.resume when g do …``: a further guard and effects on components' events."""
    events: tuple[EvRef, ...]
    guard: Expr | None
    effects: tuple[DoItem, ...]
    span: Span = _span()


MItem = Union[MSig, MStates, MVar, MParam, MEffect, MRow, MComponent, MSync]


@dataclass(frozen=True)
class MachineDecl(Node):
    name: str
    items: tuple[MItem, ...]
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


# ----------------------------------------------------------------------------- schedules
@dataclass(frozen=True)
class SDomain(Node):
    """``services s ∈ S`` or ``nodes n ∈ N``: what the schedule places, and where."""
    kind: str  # "services" | "nodes"
    var: str
    set: Expr
    span: Span = _span()
    var_span: Span = _span()


@dataclass(frozen=True)
class SValue(Node):
    """``replicas: e``: a per-service value."""
    kind: str  # "replicas"
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class SRule(Node):
    """``capacity cpu: d ≤ c``, ``require security: p`` or ``cost latency: e``."""
    kind: str  # "capacity" | "require" | "cost"
    name: str
    body: Expr
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class SPair(Node):
    """``near sidecar (a, b): p`` or ``apart brokers (a, b): p``: a rule on pairs of services."""
    kind: str  # "near" | "apart"
    name: str
    a: str
    b: str
    body: Expr
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class SMinimize(Node):
    """``minimize e``: one level of the (lexicographic) objective."""
    objective: Expr
    span: Span = _span()


SItem = Union[SDomain, SValue, SRule, SPair, SMinimize]

#: The statement words of a schedule block, by the form they take.
SCHEDULE_DOMAINS = ("services", "nodes")
SCHEDULE_VALUES = ("replicas",)
SCHEDULE_RULES = ("capacity", "require", "cost")
SCHEDULE_PAIRS = ("near", "apart")


@dataclass(frozen=True)
class ScheduleDecl(Node):
    """``schedule Name { … }``; the span covers ``schedule Name`` (diagnostics point there)."""
    name: str
    items: tuple[SItem, ...]
    annotations: tuple[Annotation, ...] = ()
    span: Span = _span()


Decl = Union[EnumDecl, TupleDecl, FuncSig, ValueSig, DefDecl, ConstDecl, EntryDecl, MachineDecl,
             ScheduleDecl]
Item = Union[Import, Decl, CheckStmt, AssumeStmt]


@dataclass(frozen=True)
class Module:
    """One parsed file."""
    file: str
    items: tuple[Item, ...]
