"""Conformance: Hypothesis checks real implementations against a spec's machines.

>>> from formalc.conform import conform, ObjectAdapter     # doctest: +SKIP
>>> report = conform("specs/lifecycle.iot", "Lifecycle", ObjectAdapter(...))  # doctest: +SKIP
>>> report.ok, [f.summary() for f in report.findings]     # doctest: +SKIP

See docs/conformance.md.
"""
from .adapter import ACCEPTED, Adapter, ObjectAdapter, Outcome
from .engine import conform, machine_class
from .results import ConformanceReport, Finding, Mismatch, Options, Step
from .run import settle
from .spec_side import ConformError, SpecAdapter, SpecMachine

__all__ = ["ACCEPTED", "Adapter", "ConformError", "ConformanceReport", "Finding", "Mismatch",
           "ObjectAdapter", "Options", "Outcome", "SpecAdapter", "SpecMachine", "Step", "conform",
           "machine_class", "settle"]
