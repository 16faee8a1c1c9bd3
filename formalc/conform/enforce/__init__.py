"""Security enforcement, observed: a spec's policy compiled to an OCI ``config.json``, probes run
in real ``runc`` containers, and each observed outcome compared with the verdict Z3 proves from
the spec.

The spec (``specs/enforcement.iot`` is the reference) declares a ``Policy`` record, probes
(``Probe``), the outcomes ``Allowed``/``Denied``/``Killed`` and a definition
``Verdict(p: Policy, q: Probe)``. For one policy this package

1. reads the policy's value from the typed model (:mod:`.facts`) and compiles it
   (:mod:`.compile`, :func:`compile_policy`): seccomp rules, capability sets, namespaces,
   masked and read-only paths, memory and pids limits, on top of
   :func:`formalc.conform.bundle.default_config`;
2. asks Z3, through ``formalc.check``, which outcome the spec forces for a probe
   (:mod:`.oracle`, :class:`VerdictOracle`): it proves ``Verdict(P, q) = v`` for exactly one
   ``v``, or answers ``unknown`` with the reason;
3. runs the probe's busybox command (:mod:`.catalogue`) in a fresh container (:mod:`.run`,
   :class:`ProbeRunner`) and classifies what happened by its exit status, its output and the
   error message busybox printed (:func:`classify`);
4. reports every disagreement as a finding with the probe, both verdicts, the command, the
   ``config.json`` and a Python transcript that replays it (:mod:`.report`,
   :class:`EnforcementReport`).

Probes are listed or drawn by Hypothesis, and policies drawn, by :mod:`.strategies`.
The public API is what this module exports.

>>> report = check_enforcement("specs/enforcement.iot", "strict", examples=20,  # doctest: +SKIP
...                            seed=1)
>>> report.ok, len(report.results), report.findings                       # doctest: +SKIP
(True, 20, [])
"""
from ..bundle import RuntimeUnavailable
from .catalogue import classify, probe_command
from .compile import PolicyError, compile_policy, grantable_caps, oci_cap, probe_config
from .facts import Outcome, Policy, Probe, SpecFacts, SpecShapeError
from .oracle import VerdictOracle
from .report import EnforcementReport, Finding, ProbeResult
from .run import Observation, ProbeRunner, check_enforcement
from .strategies import all_probes, policy_strategy, probe_strategy

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
