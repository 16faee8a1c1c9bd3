"""Renderers of an extracted :class:`~formalc.extract.model.Document`: one class per format.

Renderers only format: they never parse or lower. Output is deterministic (document order).
"""
from __future__ import annotations

import json
import unicodedata

from .model import Decl, Definition, Document, Formula
from .skeleton import counts


def _width(s: str) -> int:
    """Display width (CJK characters take two columns)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _clip(s: str, n: int) -> str:
    if _width(s) <= n:
        return s
    out, w = "", 0
    for c in s:
        cw = _width(c)
        if w + cw > n - 1:
            break
        out, w = out + c, w + cw
    return out + "…"


class TextReport:
    """A table per document: one row per block (number, title, line, formulas
    parsed/partial/unparsed, declarations), then every formula not fully parsed with its line
    and reason, then the problems."""

    def render(self, doc: Document) -> str:
        rows = [("def", "title", "line", "parsed/partial/unparsed", "declarations")]
        for d in doc.definitions:
            rows.append(self._row(d))
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        widths[1] = min(widths[1], 28)
        out = []
        for r in rows:
            cells = [_pad(_clip(r[0], widths[0]), widths[0]),
                     _pad(_clip(r[1], widths[1]), widths[1]),
                     _pad(r[2], widths[2]), _pad(r[3], widths[3]), r[4]]
            out.append("  ".join(cells).rstrip())
        bad = [(d, f) for d in doc.definitions for f in d.formulas if f.status != "parsed"]
        if bad:
            out.append("")
            out.append("not fully parsed:")
            for d, f in bad:
                label = _label(d)
                out.append(f"  {doc.file}:{f.line}: [{label}] {f.status}: {f.reason}")
        if doc.problems:
            out.append("")
            out.append("problems:")
            for line, msg in doc.problems:
                out.append(f"  {doc.file}:{line}: {msg}")
        return "\n".join(out) + "\n"

    @staticmethod
    def _row(d: Definition) -> tuple[str, str, str, str, str]:
        c = {"parsed": 0, "partial": 0, "unparsed": 0}
        for f in d.formulas:
            c[f.status] += 1
        number = _label(d)
        title = d.title or (f"({d.kind})" if d.number is None else "")
        formulas = f"{c['parsed']}/{c['partial']}/{c['unparsed']}"
        decls = ", ".join(x.name for f in d.formulas for x in _main(f)) or "—"
        return number, title, str(d.line), formulas, _clip(decls, 60)

    @staticmethod
    def summary(doc: Document) -> str:
        c = counts(doc)
        return (f"{c['definitions']} definitions, {c['formulas']} formulas: {c['parsed']} "
                f"parsed, {c['partial']} partial, {c['unparsed']} unparsed"
                + (f"; {len(doc.problems)} problems" if doc.problems else ""))


def _label(d: Definition) -> str:
    """``3.1`` for a definition, ``T2.1`` / ``L2.2`` for a theorem / lemma, ``—`` otherwise."""
    if d.number is None:
        return "—"
    return d.number if d.kind == "definition" else f"{d.kind[0].upper()}{d.number}"


def _main(f: Formula) -> list[Decl]:
    """The declarations a formula is about (the constants its body needed are left out)."""
    main = [x for x in f.decls if x.kind != "constant"]
    return main or list(f.decls)


def decl_json(x: Decl) -> dict:
    """A declaration as JSON."""
    return {"kind": x.kind, "name": x.name, "parts": list(x.parts), "result": x.result,
            "text": x.text, "definition": x.definition, "line": x.line, "source": x.source}


def formula_json(f: Formula) -> dict:
    """A formula as JSON."""
    return {"line": f.line, "latex": f.latex, "status": f.status, "reason": f.reason,
            "decls": [decl_json(x) for x in f.decls]}


class JsonReport:
    """``{"format": "formalc-extract", "file", "summary", "definitions": [...], "problems"}``;
    each definition with its formulas' status, reason and declarations."""

    def render(self, doc: Document) -> str:
        data = {
            "format": "formalc-extract",
            "version": 1,
            "file": doc.file,
            "summary": counts(doc),
            "definitions": [
                {"number": d.number, "kind": d.kind, "title": d.title, "section": d.section,
                 "line": d.line, "formulas": [formula_json(f) for f in d.formulas]}
                for d in doc.definitions],
            "problems": [{"line": line, "message": msg} for line, msg in doc.problems],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": TextReport, "json": JsonReport}
