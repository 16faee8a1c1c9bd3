"""Scopes of bound names during type checking, and types not yet known."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Span
from .types import INT, REAL, QuantT


class TypeVarCell:
    """The yet-unknown type of an untyped parameter; bound by its first constraining use."""

    def __init__(self, name: str, span: Span | None):
        self.name, self.span, self.bound = name, span, None

    def __str__(self) -> str:
        return str(self.bound) if self.bound else f"(type of {self.name})"


@dataclass
class MachineCtx:
    """What an expression inside a machine may refer to beyond declarations: the machine's
    variables (in ``Scope.vars``), its components (name -> (machine, counts)), and whether
    temporal operators are allowed (machine properties) or not (guards, updates, bounds)."""
    machine: str
    temporal: bool = False
    components: dict = field(default_factory=dict)  # name -> (Machine, {state: count var})
    structural: bool = False  # a structural property name may stand here


@dataclass
class Scope:
    vars: dict[str, object] = field(default_factory=dict)  # name -> Type | TypeVarCell
    ctx: MachineCtx | None = None

    def child(self) -> "Scope":
        return Scope(dict(self.vars), self.ctx)



def numeric(t) -> bool:
    return t in (INT, REAL) or isinstance(t, QuantT)
