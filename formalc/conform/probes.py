"""Security enforcement, observed — the import path kept for ``formalc.conform.enforce``.

The code lives in the :mod:`formalc.conform.enforce` package (``facts``, ``catalogue``,
``compile``, ``oracle``, ``run``, ``report``, ``strategies``); this module re-exports its public
API and the catalogue's constants, so ``from formalc.conform.probes import …`` (the CLI, the
tests, the replay transcripts of reports) keeps working.

>>> report = check_enforcement("specs/enforcement.iot", "strict", examples=20,  # doctest: +SKIP
...                            seed=1)
>>> report.ok, len(report.results), report.findings                       # doctest: +SKIP
(True, 20, [])
"""
from __future__ import annotations

import importlib

from .enforce import (
    EnforcementReport,
    Finding,
    Observation,
    Outcome,
    Policy,
    PolicyError,
    Probe,
    ProbeResult,
    ProbeRunner,
    RuntimeUnavailable,
    SpecFacts,
    SpecShapeError,
    VerdictOracle,
    all_probes,
    check_enforcement,
    classify,
    compile_policy,
    grantable_caps,
    oci_cap,
    policy_strategy,
    probe_command,
    probe_config,
    probe_strategy,
)

__all__ = [
    "EnforcementReport",
    "Finding",
    "Observation",
    "Outcome",
    "Policy",
    "PolicyError",
    "Probe",
    "ProbeResult",
    "ProbeRunner",
    "RuntimeUnavailable",
    "SpecFacts",
    "SpecShapeError",
    "VerdictOracle",
    "all_probes",
    "check_enforcement",
    "classify",
    "compile_policy",
    "grantable_caps",
    "oci_cap",
    "policy_strategy",
    "probe_command",
    "probe_config",
    "probe_strategy",
]

#: The old module's other names (the catalogue's constants, tables, its imports from
#: ``bundle``), by the module that holds them now; looked up on first use (PEP 562).
_ELSEWHERE = {
    **dict.fromkeys(("CATALOGUE", "EACCES", "EAGAIN", "ENOENT", "EPERM", "EROFS", "HIDDEN", "OK",
                     "PROC_NS", "SIGKILL", "SIGSYS", "WRITES"), ".enforce.catalogue"),
    "CAPABILITY_NUMBERS": ".enforce.compile",
    "REQUIRED": ".enforce.facts",
    "Expectation": ".enforce.oracle",
    "MEMORY_LIMITS": ".enforce.strategies",
    "PARAMETERS": ".enforce.strategies",
    **dict.fromkeys(("Runtime", "default_config", "probe_runtime"), ".bundle"),
}


def __getattr__(name: str):
    """``from formalc.conform.probes import CATALOGUE`` and the like, as before the split."""
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __package__), name)
