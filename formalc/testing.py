"""Helpers for a project's own pytest suite: check an implementation against a spec.

One short test checks an implementation against a machine of a spec::

    from formalc.conform import ObjectAdapter
    from formalc.testing import assert_conforms

    def test_my_runtime_follows_the_lifecycle():
        assert_conforms("specs/lifecycle.iot", "Lifecycle",
                        ObjectAdapter(MyContainer, ["start", "pause", "resume", "stop", "kill",
                                                    "remove"], refused=(InvalidTransition,)))

or, with the ``conformance`` marker and the ``formalc_conform`` fixture of formalc's pytest
plugin (installed with formalc)::

    @pytest.mark.conformance("specs/lifecycle.iot", "Lifecycle", examples=50)
    def test_my_runtime(formalc_conform):
        formalc_conform(ObjectAdapter(MyContainer, ...))

A failure shows formalc's report: each difference with its shortest trace, both sides' steps
and a replay transcript, never a bare Python traceback. ``require_runtime("runc")`` skips a
test (with the reason) where the runtime cannot be used, and fails it instead when the
environment variable ``FORMALC_REQUIRE_RUNTIME`` is ``1`` (runc; or a list such as
``runc,crun``) on machines that must have it (CI).
"""
from __future__ import annotations

import os

from .conform.engine import conform
from .conform.results import ConformanceReport

#: The environment variable that turns "runtime unavailable" from a skip into a failure.
REQUIRE_RUNTIME_ENV = "FORMALC_REQUIRE_RUNTIME"


class ConformanceFailure(AssertionError):
    """Raised by :func:`assert_conforms`; ``report`` holds the findings."""

    def __init__(self, report: ConformanceReport):
        super().__init__(report.to_text())
        self.report = report


def assert_conforms(spec, machine: str, adapter, **options) -> ConformanceReport:
    """Run :func:`formalc.conform.conform` (same options: ``examples``, ``steps``, ``seed``,
    ``events`` …) and raise :class:`ConformanceFailure` with the report unless no difference
    was found. Returns the report."""
    options.setdefault("seed", 0)
    report = conform(spec, machine, adapter, **options)
    if not report.ok:
        raise ConformanceFailure(report)
    return report


def runtime_required(name: str = "runc") -> bool:
    """Whether ``FORMALC_REQUIRE_RUNTIME`` demands runtime ``name``: ``1`` means runc; a
    comma-separated list names runtimes (``runc,crun``)."""
    value = os.environ.get(REQUIRE_RUNTIME_ENV, "").strip()
    wanted = {"runc"} if value == "1" else {v.strip() for v in value.split(",") if v.strip()}
    return name in wanted


def require_runtime(name: str = "runc") -> None:
    """Skip the calling test when runtime ``name`` cannot be used here (no binary, not root,
    no static busybox, the runtime fails on this kernel) — or fail it when
    ``FORMALC_REQUIRE_RUNTIME`` demands it (see :func:`runtime_required`)."""
    import pytest

    from .conform.bundle import RuntimeUnavailable, probe_runtime
    try:
        probe_runtime(name)
    except RuntimeUnavailable as e:
        if runtime_required(name):
            pytest.fail(f"{name} is required here ({REQUIRE_RUNTIME_ENV}=1 or a list naming it) "
                        f"but unavailable: "
                        f"{e}", pytrace=False)
        pytest.skip(f"{name} unavailable: {e}")
