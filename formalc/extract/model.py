"""The result of ``formalc extract``: plain, frozen values (no Lark, no z3).

A :class:`Document` holds the :class:`Definition` blocks found in a Markdown document, each
with its display :class:`Formula` values and the :class:`Decl` declarations they lowered to.
This is the interface ``formalc trace`` reads; fields are only ever added, never changed.

>>> from formalc.extract import extract
>>> doc = extract("**定义 3.1** (容器生命周期)\\n$$\\\\mathcal{L} = (States, Events)$$\\n")
>>> d = doc.definitions[0]
>>> (d.number, d.title, d.formulas[0].status, d.formulas[0].decls[0].name)
('3.1', '容器生命周期', 'parsed', 'L')
"""
from __future__ import annotations

from dataclasses import dataclass

#: The statuses of a formula, best first.
STATUSES = ("parsed", "partial", "unparsed")
#: The kinds of declarations a formula can produce.
DECL_KINDS = ("tuple", "enum", "function", "predicate", "metric", "objective", "constant",
              "relation")
#: The kinds of blocks.
#: (a proposition or corollary is a "theorem", an axiom a "definition"; see scan.py)
BLOCK_KINDS = ("definition", "theorem", "lemma", "formula")


@dataclass(frozen=True)
class Formula:
    """One display formula (``$$…$$`` or ``\\[…\\]``) of the document.

    ``status`` is ``"parsed"`` (every part understood and lowered), ``"partial"`` (it parsed
    but only part of it became declarations, ``reason`` says what was left) or ``"unparsed"``
    (the grammar refused it; ``reason`` gives the position within the formula)."""
    line: int                 # 1-based line of the opening $$ in the document
    latex: str                # the formula source
    status: str               # "parsed" | "partial" | "unparsed"
    reason: str | None        # why not parsed (unparsed/partial)
    decls: tuple[Decl, ...]  # what it produced


@dataclass(frozen=True)
class Decl:
    """One ``.iot`` declaration produced by a formula.

    ``parts`` are the tuple's components, the enumeration's members, or the function's
    parameter types; ``result`` is a function's result type. ``text`` is the declaration as
    printed in the skeleton (one line, without the ``@def`` tag). For an ``objective``,
    ``result`` is ``"min"`` or ``"max"``; for a constant, its type; for a named subset of an
    enumeration (kind ``enum``), that enumeration. ``source`` is the name as the document
    writes it, flattened (``Security_{VM}`` → ``Security_VM``, ``\\mathcal{L}`` → ``L``);
    ``name`` may differ: made a valid identifier, suffixed when already taken (``C_d2_1``)."""
    kind: str                 # "tuple" | "enum" | "function" | "predicate" | "metric" | "objective" | "constant" | "relation"
    name: str                 # the .iot name it gets (a valid identifier)
    parts: tuple[str, ...]    # tuple components / enum members / function params (param types)
    result: str | None        # function result type, or None
    text: str                 # the .iot declaration text it prints as
    definition: str | None    # "3.1"
    line: int
    source: str = ""          # the document's name, flattened: "Security_VM" for Security_{VM}, "L" for \\mathcal{L}


@dataclass(frozen=True)
class Definition:
    """A numbered block (``**定义 3.1** (容器生命周期)``, ``**Theorem 2.1**``) or, with
    ``number`` None and kind ``"formula"``, a display formula outside any such block."""
    number: str | None        # "3.1" (None for a loose formula)
    kind: str                 # "definition" | "theorem" | "lemma" | "formula"
    title: str                # "容器生命周期"
    section: str              # the enclosing heading text
    line: int
    formulas: tuple[Formula, ...]


@dataclass(frozen=True)
class Document:
    """Everything extracted from one document, in document order."""
    file: str
    definitions: tuple[Definition, ...]
    problems: tuple[tuple[int, str], ...]   # (line, message) e.g. unclosed $$

    def formulas(self) -> tuple[Formula, ...]:
        """Every formula of the document, in order."""
        return tuple(f for d in self.definitions for f in d.formulas)

    def decls(self) -> tuple[Decl, ...]:
        """Every declaration of the document, in order."""
        return tuple(x for f in self.formulas() for x in f.decls)

    def definition(self, number: str) -> Definition | None:
        """The first block numbered ``number`` (``"3.1"``), or None."""
        for d in self.definitions:
            if d.number == number:
                return d
        return None
