"""pytest plugin: `.iot` files become test files, each check a test item.

Opt in with ``pytest --formalc`` or ``formalc = true`` in the ini file. Then ``pytest -k name``
selects single checks, and a failing check shows the same report as ``formalc check`` (the
counterexample and the false sub-formula), not a Python traceback. A check whose verdict is
unknown fails too, with the reason: an unknown is never a pass.

For a project's own tests the ``formalc_check`` fixture asserts that a check of a spec holds::

    def test_lifecycle(formalc_check):
        formalc_check("specs/lifecycle.iot", "deleted_absorbing")

and the ``formalc_conform`` fixture, with the ``conformance`` marker, that an implementation
conforms to a machine (see :mod:`formalc.testing`)::

    @pytest.mark.conformance("specs/lifecycle.iot", "Lifecycle")
    def test_runtime(formalc_conform):
        formalc_conform(ObjectAdapter(MyContainer, [...]))
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .checks.results import Report, Verdict
from .checks.runner import DEFAULT_TIMEOUT_S, run_check
from .diagnostics import render
from .model.compile import compile_file
from .model.loader import Loader


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("formalc", "formal checks of .iot specs")
    group.addoption("--formalc", action="store_true", default=False,
                    help="collect .iot files and run their checks as tests")
    group.addoption("--formalc-timeout", type=float, default=None,
                    help=f"solver time limit per check in seconds (default {DEFAULT_TIMEOUT_S:g})")
    parser.addini("formalc", type="bool", default=False,
                  help="collect .iot files and run their checks as tests")
    parser.addini("formalc_timeout", default=str(DEFAULT_TIMEOUT_S),
                  help="solver time limit per check in seconds")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--formalc") or config.getini("formalc"))


def _timeout(config: pytest.Config) -> float:
    opt = config.getoption("--formalc-timeout")
    return float(opt if opt is not None else config.getini("formalc_timeout"))


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix == ".iot" and _enabled(parent.config):
        return IotFile.from_parent(parent, path=file_path)
    return None


class IotFile(pytest.File):
    """A spec file; compiled once at collection, its checks become items."""

    def collect(self):
        loader = Loader()
        diags, spec = compile_file(Path(self.path), loader)
        if spec is None:
            yield SpecErrorItem.from_parent(self, name="<spec errors>", diags=diags,
                                            sources=loader.sources)
            return
        shared: dict = {}  # one solver session for all the checks of this file, made on first use
        for c in spec.checks:
            yield CheckItem.from_parent(self, name=c.name, spec=spec, check=c, shared=shared)


class CheckFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class CheckItem(pytest.Item):
    def __init__(self, *, spec, check, shared, **kw):
        super().__init__(**kw)
        self.spec, self.check, self.shared = spec, check, shared
        self.result = None

    def runtest(self) -> None:
        if "session" not in self.shared:
            from .encode.run import Session
            self.shared["session"] = Session(self.spec)
        self.result = run_check(self.spec, self.check, _timeout(self.config),
                                self.shared["session"])
        if self.result.verdict is not Verdict.PROVED and self.result.verdict is not Verdict.SATISFIED:
            from .report.text import render_text
            text = render_text(Report(results=[self.result]), color=False)
            raise CheckFailed(text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        line = self.check.span.line - 1 if self.check.span else 0
        return self.path, line, f"check {self.check.name}"


class SpecErrorItem(pytest.Item):
    def __init__(self, *, diags, sources, **kw):
        super().__init__(**kw)
        self.diags, self.sources = diags, sources

    def runtest(self) -> None:
        raise CheckFailed("\n".join(render(d, self.sources) for d in self.diags))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, "spec errors"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance(spec, machine, **options): the spec and machine (and "
        "formalc.conform options) the formalc_conform fixture checks an adapter against")


@pytest.fixture
def formalc_conform(request):
    """``formalc_conform(adapter, **options)`` checks ``adapter`` against the spec and machine
    of the test's ``conformance`` marker (options there are defaults, the call's override) and
    fails the test with formalc's report on a difference. Returns the report."""
    marker = request.node.get_closest_marker("conformance")
    if marker is None or len(marker.args) < 2:
        pytest.fail("formalc_conform needs @pytest.mark.conformance(spec, machine)",
                    pytrace=False)
    spec, machine = marker.args[:2]

    def run(adapter, **options):
        from .conform.engine import conform
        kw = {"seed": 0, **marker.kwargs, **options}
        report = conform(spec, machine, adapter, **kw)
        if not report.ok:
            pytest.fail(report.to_text(), pytrace=False)
        return report
    return run


@pytest.fixture
def formalc_check(request):
    """``formalc_check(path, name)`` runs one check of a spec file and fails the test, with the
    formalc report, unless it is proved or satisfied. Returns the :class:`formalc.Result`."""
    timeout = _timeout(request.config)

    def run(path, name: str):
        import formalc
        spec = formalc.load(path)
        matches = [c for c in spec.checks if c.name == name]
        if not matches:
            pytest.fail(f"{path} has no check named {name!r}; it has: "
                        + ", ".join(c.name for c in spec.checks), pytrace=False)
        result = run_check(spec, matches[0], timeout)
        if not result.verdict.holds:
            from .report.text import render_text
            pytest.fail(render_text(Report(results=[result])), pytrace=False)
        return result

    return run
