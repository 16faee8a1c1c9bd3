"""``formalc extract``: read a Markdown + LaTeX analysis, find its definitions and display
formulas, parse the formulas and lower them to ``.iot`` declarations.

The public API is what this module exports::

    from formalc.extract import extract, skeleton
    doc = extract(open("analysis.md").read(), "analysis.md")
    for d in doc.definitions:
        print(d.number, d.title, [f.status for f in d.formulas])
    print(skeleton(doc))          # a .iot spec that `formalc check` accepts
"""
from __future__ import annotations

from .model import Decl, Definition, Document, Formula


def extract(text: str, file: str = "<doc>") -> Document:
    """Scan ``text`` (Markdown with LaTeX), parse every display formula and lower it.

    Never raises on any input text: problems (an unclosed ``$$``) are in
    ``Document.problems`` and formulas that do not parse have status ``"unparsed"``."""
    from .lower import lower_document
    from .scan import scan
    return lower_document(scan(text), file)


def skeleton(doc: Document) -> str:
    """The ``.iot`` skeleton of ``doc``: each declaration tagged ``@def N.M`` with a comment
    giving the document line and the LaTeX; formulas that did not parse are comments."""
    from .skeleton import render
    return render(doc)


__all__ = ["Decl", "Definition", "Document", "Formula", "extract", "skeleton"]
