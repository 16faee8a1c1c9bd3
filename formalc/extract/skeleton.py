"""The ``.iot`` skeleton of an extracted document.

Every declaration is preceded by its definition's tag (``@def 3.1``; ``@def "theorem 2.1"``
for other blocks; none for a formula outside any block), and every formula by a comment with
its document line and its LaTeX. A formula that did not parse, or the part of one that was not
lowered, stays as a comment with the reason: nothing of the document is dropped silently.

>>> from formalc.extract import extract
>>> print(skeleton_text(extract("**定义 5.2** (虚拟机级容器)\\n$$Security_{VM} = H \\\\land K$$\\n")))
... # doctest: +NORMALIZE_WHITESPACE
// Skeleton extracted by `formalc extract` from <doc>: 1 definitions, 1 formulas (1 parsed, 0 partial, 0 unparsed).
// Refine it into a checked spec: give the sorts their fields, the functions their tables, and add checks.
<BLANKLINE>
// ── Definition 5.2 (虚拟机级容器), line 1
// line 2: Security_{VM} = H \\land K
@def 5.2
H: Bool
@def 5.2
K: Bool
@def 5.2
Security_VM := H ∧ K
"""
from __future__ import annotations

import re

from .model import Definition, Document, Formula
from .shapes import tag_of

_NUMBER_TAG = re.compile(r"\d+(\.\d+)?\Z")
_KIND_TITLE = {"definition": "Definition", "theorem": "Theorem", "lemma": "Lemma",
               "formula": "Formula"}


def counts(doc: Document) -> dict[str, int]:
    """How many formulas have each status (and how many blocks and formulas there are)."""
    out = {"definitions": sum(1 for d in doc.definitions if d.number is not None),
           "formulas": 0, "parsed": 0, "partial": 0, "unparsed": 0}
    for f in doc.formulas():
        out["formulas"] += 1
        out[f.status] += 1
    return out


def _tag_line(tag: str | None) -> str | None:
    if tag is None:
        return None
    return f"@def {tag}" if _NUMBER_TAG.match(tag) else f'@def "{tag}"'


def _comment(prefix: str, text: str) -> list[str]:
    lines = text.split("\n") or [""]
    out = [f"// {prefix}{lines[0]}".rstrip()]
    out.extend(f"//   {x}".rstrip() for x in lines[1:])
    return out


def _block_header(d: Definition) -> str:
    if d.number is None:
        where = f" (§ {d.section})" if d.section else ""
        return f"// ── Formula outside any definition{where}, line {d.line}"
    title = f" ({d.title})" if d.title else ""
    section = f" — § {d.section}" if d.section and d.section not in (d.title,) else ""
    return f"// ── {_KIND_TITLE.get(d.kind, d.kind)} {d.number}{title}{section}, line {d.line}"


def _formula(f: Formula, tag: str | None) -> list[str]:
    out = _comment(f"line {f.line}: ", f.latex)
    if f.status == "unparsed":
        out.extend(_comment("not parsed: ", f.reason or ""))
        return out
    tag_line = _tag_line(tag)
    for x in f.decls:
        if x.kind == "objective":
            verb = "minimised" if x.result == "min" else "maximised"
            out.append(f"// objective: {x.name} is {verb} (a `schedule` block's `minimize` "
                       "optimises placements)")
        if tag_line is not None:
            out.append(tag_line)
        out.append(x.text)
    if f.status == "partial":
        out.extend(_comment("not lowered: ", f.reason or ""))
    return out


def skeleton_text(doc: Document) -> str:
    """The skeleton of ``doc`` as ``.iot`` text (ends with a newline)."""
    c = counts(doc)
    lines = [(f"// Skeleton extracted by `formalc extract` from {doc.file}: "
              f"{c['definitions']} definitions, {c['formulas']} formulas ({c['parsed']} parsed, "
              f"{c['partial']} partial, {c['unparsed']} unparsed)."),
             ("// Refine it into a checked spec: give the sorts their fields, the functions "
              "their tables, and add checks.")]
    for line, msg in doc.problems:
        lines.extend(_comment(f"problem at line {line}: ", msg))
    for d in doc.definitions:
        lines.append("")
        lines.append(_block_header(d))
        tag = _tag(d)
        for i, f in enumerate(d.formulas):
            if i:
                lines.append("")
            lines.extend(_formula(f, tag))
    return "\n".join(lines) + "\n"


def _tag(d: Definition) -> str | None:
    return tag_of(d.kind, d.number)


render = skeleton_text
