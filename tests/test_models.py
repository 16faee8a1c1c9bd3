"""The section 9 models (models/) checked against the specs, and their buggy twins caught.

- models.runtime against specs/lifecycle.iot `Lifecycle` (the conformance engine) and the
  `action` table; RuncRuntime against a real runc (skipped when runc cannot run here);
- models.orchestrator against specs/orchestrator.iot `ServiceScaling`, with and without
  observing the machine's variables; the spec's own checks, and mutations that break them;
- models.secure_container: generated config.json files, imported by formalc's OCI importer,
  evaluated with specs/threats.iot's definitions (Hypothesis draws the policies);
- models.edge_manager: scores and eligibility against specs/edge.iot, placements against
  specs/scheduling.iot's `Feasible` and the schedule evaluator.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import formalc
from formalc.artifacts.load import load_text
from formalc.artifacts.seccomp import load_seccomp
from formalc.audit.views import oci_view
from formalc.conform import ObjectAdapter, conform
from formalc.conform.bundle import Runtime
from formalc.testing import require_runtime
from formalc.machines.evaluate import Record, evaluate

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import edge_manager as E
from models import orchestrator as O
from models import runtime as R
from models import secure_container as S

LIFECYCLE = ROOT / "specs" / "lifecycle.iot"
ORCHESTRATOR = ROOT / "specs" / "orchestrator.iot"
THREATS = ("ContainerEscape", "PrivilegeEscalation", "ResourceExhaustion", "DataLeakage")

QUICK = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------ spec helpers
@cache
def spec(name: str):
    return formalc.load(ROOT / "specs" / name)


def spec_call(sp, name: str, *args):
    """The value of definition ``name`` of spec ``sp`` applied to ``args``."""
    d = sp.definitions[name]
    return evaluate(d.body, {p: a for (p, _), a in zip(d.params, args)}, sp)


def table(sp, function: str) -> dict:
    """A function table of the spec as {arguments: value}."""
    return {args: evaluate(v, {}, sp) for args, v in sp.functions[function].table}


def runtime_adapter(factory):
    return ObjectAdapter(factory, R.EVENTS, state="state", refused=(R.InvalidTransition,))


def service_adapter(factory):
    return ObjectAdapter(factory, O.EVENTS, state="state", refused=(O.OrchestrationError,))


class ObservingAdapter(ObjectAdapter):
    """An ObjectAdapter that also observes the machine's variables (the engine narrows its
    belief with them): ``observe()`` returns {"state": …, var: value, …}."""

    def __init__(self, *args, variables=(), **kw):
        super().__init__(*args, **kw)
        self.variables = tuple(variables)

    def observe(self):
        return {"state": super().observe(), **{v: getattr(self.obj, v) for v in self.variables}}


def differences(report) -> set[tuple[str, str, str, str]]:
    """Every finding of a report as (kind, state before, event, observed state)."""
    assert not report.ok, "the buggy twin was not caught"
    return {(f.kind, f.before, f.event, f.observed) for f in report.findings}


def the_finding(report, kind: str, event: str):
    """The one finding of ``kind`` on ``event``."""
    found = [f for f in report.findings if (f.kind, f.event) == (kind, event)]
    assert len(found) == 1, [f.summary() for f in report.findings]
    return found[0]


# ============================================================================== runtime
def test_runtime_types_differ_where_the_seed_says():
    startup = {args[0]: v for args, v in table(spec("performance.iot"), "RuntimeStartup").items()}
    clocks = {}
    for t in R.RuntimeType:
        rt = R.ContainerRuntime(t)
        c = rt.create_container(R.ContainerConfig("busybox", ["sleep", "1"]))
        rt.start(c.id)
        assert c.vm is (t is R.RuntimeType.Kata)
        assert c.isolation == ("hardware" if t is R.RuntimeType.Kata else "namespaces")
        # a start costs the spec's RuntimeStartup of the runtime that executes the container
        assert rt.clock == startup[rt.profile.spec_runtime]
        clocks[t] = rt.clock
    assert clocks[R.RuntimeType.Kata] > clocks[R.RuntimeType.Docker] == Fraction(3, 25)


def test_refused_operation_raises_and_changes_nothing():
    rt = R.ContainerRuntime(R.RuntimeType.CRIO)
    cid = rt.create()
    with pytest.raises(R.InvalidTransition) as e:
        rt.pause(cid)
    assert isinstance(e.value, ValueError)
    assert (e.value.event, e.value.state, e.value.cid) == ("pause", R.State.Created, cid)
    assert rt.state(cid) is R.State.Created and rt.get(cid).actions == []
    rt.start(cid)
    rt.kill(cid)
    rt.remove(cid)
    assert rt.state(cid) is R.State.Deleted and rt.containers() == []
    with pytest.raises(R.InvalidTransition):
        rt.start(cid)                     # a deleted id is never reused or restarted
    with pytest.raises(R.NoSuchContainer):
        rt.start("c99")


EVENT_NAMES = tuple(R.EVENTS)


@QUICK
@given(st.sampled_from(list(R.RuntimeType)), st.lists(st.sampled_from(EVENT_NAMES), max_size=25))
def test_runtime_follows_delta_and_action_tables(rtype, events):
    """Each operation is accepted exactly when specs/lifecycle.iot's δ has a row, leads where
    the row says and records the row's `action`; a refusal changes nothing."""
    sp = spec("lifecycle.iot")
    delta, action = table(sp, "δ"), table(sp, "action")
    c = R.SingleContainer(rtype)
    for ev in events:
        src = c.state.name
        before = list(c.container.actions)
        try:
            getattr(c, ev)()
        except R.InvalidTransition:
            assert (src, ev) not in delta, f"refused {ev} in {src}"
            assert c.state.name == src and c.container.actions == before
            continue
        assert (src, ev) in delta, f"accepted {ev} in {src}"
        assert c.state.name == delta[(src, ev)]
        assert c.container.actions == before + [action[(src, ev)]]


@pytest.mark.parametrize("factory", [R.docker_container, R.containerd_container,
                                     R.crio_container, R.kata_container],
                         ids=lambda f: f.__name__)
def test_runtime_conforms_to_lifecycle(factory):
    report = conform(LIFECYCLE, "Lifecycle", runtime_adapter(factory), examples=100, seed=0)
    assert report.ok, report.to_text()
    assert report.events == ("start", "pause", "resume", "stop", "kill", "remove")
    assert report.not_exercised == ("exit", "probe")      # spontaneous in the real world
    assert report.examples >= 100 and report.steps > 500


def test_leaky_runtime_is_caught_removing_a_live_container():
    report = conform(LIFECYCLE, "Lifecycle", runtime_adapter(R.leaky_container),
                     examples=100, seed=0)
    assert differences(report) == {("accepted", "Running", "remove", "Deleted"),
                                   ("accepted", "Paused", "remove", "Deleted")}
    f = min(report.findings, key=lambda f: len(f.trace))
    assert f.trace == ("start", "remove") and f.expected == "refused"


def test_frozen_kill_runtime_is_caught_leaving_a_killed_container_paused():
    report = conform(LIFECYCLE, "Lifecycle", runtime_adapter(R.frozen_kill_container),
                     examples=100, seed=0)
    assert differences(report) == {("state", "Paused", "kill", "Paused")}
    f = the_finding(report, "state", "kill")
    assert (f.trace, f.expected) == (("start", "pause", "kill"), "Stopped")


def test_thawing_stop_runtime_is_caught_changing_state_on_a_refusal():
    report = conform(LIFECYCLE, "Lifecycle", runtime_adapter(R.thawing_stop_container),
                     examples=100, seed=0)
    assert differences(report) == {("unchanged", "Paused", "stop", "Running")}
    f = the_finding(report, "unchanged", "stop")
    assert (f.trace, f.expected) == (("start", "pause", "stop"), "Paused")
    assert "SIGTERM not handled" in f.steps[-1].outcome.detail


def test_assert_conforms_passes_the_model_and_fails_the_twin():
    from formalc.testing import assert_conforms
    assert_conforms(LIFECYCLE, "Lifecycle", runtime_adapter(R.docker_container), examples=50,
                    seed=0)
    with pytest.raises(AssertionError, match="remove"):
        assert_conforms(LIFECYCLE, "Lifecycle", runtime_adapter(R.leaky_container),
                        examples=50, seed=0)


def _runc_or_skip():
    require_runtime("runc")


def test_runc_runtime_creates_starts_and_deletes():
    _runc_or_skip()
    with R.RuncRuntime() as rt:
        cid = rt.create()
        assert rt.state(cid) is R.State.Created
        rt.start(cid)
        assert rt.state(cid) is R.State.Running
        with pytest.raises(R.InvalidTransition, match="runc: .*running"):
            rt.remove(cid)                      # runc refuses to delete a running container
        assert rt.state(cid) is R.State.Running
        rt.kill(cid)
        assert rt.state(cid) is R.State.Stopped
        rt.remove(cid)
        assert rt.state(cid) is R.State.Deleted
        with pytest.raises(R.NoSuchContainer):
            rt.state("never-created")


# ============================================================================== orchestrator
def _cluster(cpus=(2, 1)):
    return O.ContainerOrchestrator([O.Node(f"n{i}", Fraction(c), 2 * O.GiB)
                                    for i, c in enumerate(cpus, 1)])


def test_deploy_scale_remove_follow_the_seed():
    o = _cluster((2, 1, 1))
    svc = O.Service("mqtt", "eclipse-mosquitto", replicas=2)
    o.deploy_service(svc)
    assert [p.node for p in o.pods("mqtt")] == ["n1", "n2"]          # most free CPU first
    assert o.load_balancer.endpoints["mqtt"] == ["mqtt-1@n1", "mqtt-2@n2"]
    assert o.service_discovery.registry == {"mqtt": "mqtt.svc:8080"}
    running = [c for c in o.runtime.containers() if c.state is R.State.Running]
    assert len(running) == 2
    o.scale_service("mqtt", 3)
    assert o.get_current_replicas("mqtt") == 3 and len(o.load_balancer.endpoints["mqtt"]) == 3
    o.scale_service("mqtt", 1)
    assert o.load_balancer.endpoints["mqtt"] == ["mqtt-1@n1"]       # newest pods go first
    assert len(o.runtime.containers()) == 1                         # the others are removed
    with pytest.raises(O.AlreadyDeployed):
        o.deploy_service(svc)
    with pytest.raises(O.InvalidReplicas):
        o.scale_service("mqtt", 0)
    o.remove_service("mqtt")
    assert o.phase("mqtt") is O.Phase.Removed and o.runtime.containers() == []
    assert "mqtt" not in o.load_balancer.endpoints and o.service_discovery.registry == {}
    for call in (lambda: o.deploy_service(svc), lambda: o.scale_service("mqtt", 2),
                 lambda: o.remove_service("mqtt")):
        with pytest.raises(O.ServiceRemoved):
            call()
    with pytest.raises(O.ServiceNotFound):
        o.get_current_replicas("nothing")


def test_scale_up_is_all_or_nothing():
    o = _cluster((2, 1))
    o.deploy_service(O.Service("a", "img", replicas=1))
    before = (o.pods("a"), dict(o.load_balancer.endpoints), len(o.runtime.containers()))
    with pytest.raises(O.InsufficientCapacity, match="cannot place 2 more pods of `a`"):
        o.scale_service("a", 3)               # two nodes, one replica per node
    assert (o.pods("a"), dict(o.load_balancer.endpoints), len(o.runtime.containers())) == before
    with pytest.raises(O.InsufficientCapacity):
        o.deploy_service(O.Service("big", "img", cpu=Fraction(3)))
    assert o.phase("big") is O.Phase.NotDeployed


def test_orchestrator_spec_checks_hold():
    report = formalc.check(formalc.load(ORCHESTRATOR))
    verdicts = {r.check: r.verdict.value for r in report.results}
    assert len(verdicts) == 13
    assert all(r.verdict.holds for r in report.results), verdicts
    assert verdicts["replicas_within_cluster"] == "proved"
    assert verdicts["can_fill_the_cluster"] == "satisfied"


# One deliberate break per rule of ServiceScaling (tests/mutations.py style): each must make
# the named check come out violated, so the checks can fail.
# The spec's mutations (one per check it relies on) are in tests/mutations.py.


def test_orchestrator_conforms_to_service_scaling():
    report = conform(ORCHESTRATOR, "ServiceScaling", service_adapter(O.single_service),
                     examples=100, seed=0)
    assert report.ok, report.to_text()
    assert report.events == ("deploy_service", "scale_up", "scale_down", "remove_service")
    assert report.not_exercised == ()


def test_orchestrator_conforms_with_variables_observed():
    adapter = ObservingAdapter(O.single_service, O.EVENTS, refused=(O.OrchestrationError,),
                               variables=("replicas", "endpoints", "registered"))
    report = conform(ORCHESTRATOR, "ServiceScaling", adapter, examples=100, seed=0)
    assert report.ok, report.to_text()


def test_overshooting_orchestrator_is_caught_refusing_a_scale_up():
    report = conform(ORCHESTRATOR, "ServiceScaling", service_adapter(O.overshooting_service),
                     examples=100, seed=0)
    # observed by state alone, the extra pod shows when the spec's third replica is refused
    # (and, once that is known, the spec's belief lags one pod behind: a later scale_down
    # the spec refuses is accepted)
    assert ("refused", "Deployed", "scale_up", "Deployed") in differences(report)
    assert differences(report) <= {("refused", "Deployed", "scale_up", "Deployed"),
                                   ("accepted", "Deployed", "scale_down", "Deployed")}
    f = the_finding(report, "refused", "scale_up")
    assert f.trace == ("deploy_service", "scale_up", "scale_up")
    assert "InsufficientCapacity" in f.detail


def test_overshooting_orchestrator_is_caught_at_once_when_replicas_are_observed():
    adapter = ObservingAdapter(O.overshooting_service, O.EVENTS,
                               refused=(O.OrchestrationError,), variables=("replicas",))
    report = conform(ORCHESTRATOR, "ServiceScaling", adapter, examples=100, seed=0)
    f = min(report.findings, key=lambda f: len(f.trace))
    assert (f.kind, f.trace) == ("state", ("deploy_service", "scale_up"))


def test_redeploying_orchestrator_is_caught_accepting_a_second_deploy():
    report = conform(ORCHESTRATOR, "ServiceScaling", service_adapter(O.redeploying_service),
                     examples=100, seed=0)
    assert differences(report) == {("accepted", "Deployed", "deploy_service", "Deployed")}
    f = the_finding(report, "accepted", "deploy_service")
    assert (f.trace, f.expected) == (("deploy_service", "deploy_service"), "refused")


# ============================================================================== secure container
@cache
def _dangerous_calls() -> tuple[str, ...]:
    return tuple(spec("threats.iot").types["DangerousCall"].type.members)


def oci_config_value(container: S.SecureContainer, args=("/bin/sleep", "1")) -> Record:
    """The generated config.json as specs/threats.iot's OciConfig, the way `formalc audit`
    reads it: formalc's OCI importer, its seccomp importer, the OciConfig view."""
    cfg = container.config(list(args))
    text = json.dumps(cfg, indent=1)
    arts, diags = load_text(text, f"{container.name}/config.json")
    assert not [d for d in diags if d.is_error], [d.message for d in diags]
    assert [a.kind for a in arts] == ["oci"]
    sec = cfg["linux"].get("seccomp")
    profile = load_seccomp(json.dumps(sec), file="config.json") if sec is not None else None
    assert profile is None or not profile.diagnostics, [d.message for d in profile.diagnostics]
    return oci_view(arts[0].value, _dangerous_calls(), profile).value


def broken_promises(container: S.SecureContainer) -> dict:
    """{name: (promised, what the spec says)} for every promise that does not hold."""
    sp = spec("threats.iot")
    value = oci_config_value(container)
    out = {}
    for name, promised in container.policy.promises().items():
        got = value[name] if name in value else spec_call(sp, name, value)
        if got != promised:
            out[name] = (promised, got)
    mitigated = frozenset(t for t in THREATS if spec_call(sp, f"Mitigated_{t}", value))
    if mitigated != container.policy.guarantees():
        out["guarantees"] = (container.policy.guarantees(), mitigated)
    return out


CAPS = sorted(S.DOCKER_DEFAULT_CAPS | S.ESCAPE_CAPS | S.ESCALATION_CAPS | {"CAP_NET_ADMIN"})
CALLS = sorted(S.DANGEROUS_CALLS | {"read", "write", "execve", "mkdir"})


@st.composite
def policies(draw):
    default = draw(st.sampled_from([None, S.ERRNO, S.ALLOW, S.KILL, S.LOG]))
    rules = draw(st.dictionaries(st.sampled_from(CALLS), st.sampled_from(list(S.ACTIONS)),
                                 max_size=8))
    return S.SecurityPolicy(
        seccomp_default=default, syscalls=tuple(rules.items()),
        capabilities=frozenset(draw(st.sets(st.sampled_from(CAPS), max_size=6))),
        namespaces=frozenset(draw(st.sets(st.sampled_from(S.NAMESPACES)))),
        masked_paths=tuple(draw(st.sampled_from([S.DEFAULT_MASKED, ("/proc/kcore",), ()]))),
        memory=draw(st.sampled_from([None, 64 * S.MiB, 512 * S.MiB])),
        cpu=draw(st.sampled_from([None, Fraction(1, 2), Fraction(2)])),
        pids=draw(st.sampled_from([None, 64])),
        apparmor_profile=draw(st.sampled_from([None, "formalc-app"])),
        readonly_root=draw(st.booleans()), no_new_privileges=draw(st.booleans()),
        uid=draw(st.sampled_from([0, 1000])))


@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_secure_container_keeps_its_promises(policy):
    assert broken_promises(S.SecureContainer(policy)) == {}


def test_seed_secure_container_taken_literally_mitigates_nothing():
    """The seed's SecureContainer::new keeps only PID, NET and MOUNT namespaces and sets no
    limit: the IPC namespace is the host's and root is the host's root, so by
    specs/threats.iot it mitigates none of the four threats (and promises none)."""
    sc = S.SecureContainer()
    assert broken_promises(sc) == {}
    sp, v = spec("threats.iot"), oci_config_value(sc)
    assert v["hostIPC"] and not v["userns"] and not spec_call(sp, "NoHostNamespaces", v)
    assert "ptrace" not in spec_call(sp, "ReachableCalls", v)          # the seed's deny
    assert spec_call(sp, "MitigatedThreats", v) == frozenset()


def test_hardened_secure_container_mitigates_every_threat():
    sc = S.SecureContainer(S.SecurityPolicy.hardened())
    assert broken_promises(sc) == {}
    sp, v = spec("threats.iot"), oci_config_value(sc)
    assert spec_call(sp, "MitigatedThreats", v) == frozenset(THREATS)
    assert spec_call(sp, "ReachableCalls", v) == frozenset()


def test_no_userns_twin_is_caught():
    broken = broken_promises(S.NoUsernsContainer(S.SecurityPolicy.hardened()))
    assert broken["userns"] == (True, False)
    promised, mitigated = broken["guarantees"]
    assert promised - mitigated == {"ContainerEscape", "PrivilegeEscalation"}


def test_bounding_leak_twin_is_caught_and_the_spec_says_when_it_matters():
    leak = S.BoundingLeakContainer(S.SecurityPolicy.hardened())
    assert "capsBounding" in broken_promises(leak)
    # no_new_privs keeps the leaked bounding set out of reach; Hypothesis finds a policy
    # without it, where the spec's ObtainableCaps exposes the leak
    policy = find(policies(), lambda p: "ObtainableCaps" in broken_promises(S.BoundingLeakContainer(p)),
                  settings=settings(max_examples=300, database=None, derandomize=True,
                                    suppress_health_check=list(HealthCheck)))
    assert policy.no_new_privileges is False
    promised, got = broken_promises(S.BoundingLeakContainer(policy))["ObtainableCaps"]
    assert got - promised and got - promised <= {c.removeprefix("CAP_") for c in S.DOCKER_DEFAULT_CAPS}


def test_secure_container_config_runs_on_runc():
    """The generated config under a real runc: the kernel reports what the spec was told
    (the kept capability only, a seccomp filter, no_new_privs, a user namespace), a call the
    filter blocks fails with EPERM, and the no-userns twin's root is the host's root."""
    _runc_or_skip()
    policy = replace(S.SecurityPolicy.hardened(), apparmor_profile=None)  # not loaded here
    script = ("cat /proc/self/uid_map; grep -E 'CapEff|CapBnd|NoNewPrivs|Seccomp:' "
              "/proc/self/status; unshare -U true; echo unshare=$?")
    with Runtime("runc") as rt:
        rt.workdir.chmod(0o755)   # the user namespace's root must reach the bundle
        good = S.SecureContainer(policy, name="hardened").run(["/bin/sh", "-c", script], rt)
        bad = S.NoUsernsContainer(policy, name="no-userns").run(["/bin/sh", "-c", script], rt)
    out = good.stdout.decode()
    assert good.returncode == 0, good.stderr.decode()
    assert out.split()[:3] == ["0", "100000", "65536"]
    assert "CapEff:\t0000000000000400" in out and "CapBnd:\t0000000000000400" in out  # NET_BIND_SERVICE
    assert "NoNewPrivs:\t1" in out and "Seccomp:\t2" in out
    assert "unshare=1" in out and "Operation not permitted" in good.stderr.decode()
    assert bad.returncode == 0 and bad.stdout.decode().split()[:3] == ["0", "0", "4294967295"]


# ============================================================================== edge manager
def test_reference_score_matches_the_spec():
    sp = spec("edge.iot")
    gw = E.EdgeNode.from_value(spec_call(sp, "refGateway"))
    server = E.EdgeNode.from_value(spec_call(sp, "refEdgeServer"))
    svc = E.EdgeService.from_value(spec_call(sp, "refTelemetry"))
    m = E.EdgeContainerManager([server, gw])
    strategy = spec_call(sp, "seedStrategy")
    assert m.calculate_node_score(gw, svc) == Fraction(4, 5) == \
        spec_call(sp, "NodeScore", strategy, gw.to_value(), svc.to_value())
    assert m.unsuitable(server, svc) == "latency 8ms over the budget"
    d = m.deploy_to_edge(svc)
    assert (d.node.name, d.score, m.routes) == ("ref-gateway", Fraction(4, 5),
                                                {"ref-telemetry": "ref-gateway"})
    assert E.EdgeNode.from_value(gw.to_value()) == gw


def _node(name, cpu=4, mem=4, latency=2, trust=3, runtimes=("Runc",), arch="Arm64"):
    return E.EdgeNode(name, "Beijing", E.Resources(cpu, mem * E.GiB, 64 * E.GB, 0, 1000),
                      E.Connectivity("Ethernet", 100 * E.Mbps, latency * E.ms), arch,
                      set(runtimes), trust)


def _svc(name, cpu=1, mem=1, latency=10, trust=2, runtime="Runc", archs=("Arm64", "Amd64")):
    return E.EdgeService(name, "TelemetryIngest", E.Resources(cpu, mem * E.GiB, E.GiB, E.Mbps),
                         latency * E.ms, trust, runtime, set(archs), "Beijing")


def test_edge_errors_are_the_seeds():
    m = E.EdgeContainerManager([_node("a", runtimes=("Kata",)), _node("b", trust=1)])
    with pytest.raises(E.NoSuitableNode) as e:
        m.deploy_to_edge(_svc("s"))
    assert e.value.reasons == {"a": "no Runc runtime", "b": "trust 1 < 2"}
    with pytest.raises(E.NoSuitableNode, match="there are no nodes"):
        E.EdgeContainerManager([]).select_edge_node(_svc("s"))
    m = E.EdgeContainerManager([_node("a", mem=1)])
    m.deploy_to_edge(_svc("s1", mem=Fraction(3, 4)))
    with pytest.raises(E.InsufficientResources) as e:
        m.deploy_to_edge(_svc("s2", mem=Fraction(1, 2)))
    assert set(e.value.missing) == {"memory"} and m.placement == {"s1": "a"}
    with pytest.raises(E.AlreadyDeployed):
        m.deploy_to_edge(_svc("s1"))
    m.remove_from_edge("s1")
    assert m.deploy_to_edge(_svc("s2", mem=Fraction(1, 2))).node.name == "a"


def test_edge_seed_shadowing():
    """The seed checks resources after choosing: a node that scores higher on latency and
    trust but has no room shadows one that fits (InsufficientResources, as in the seed)."""
    near = _node("near", cpu=1, mem=1, latency=1, trust=5)
    far = _node("far", cpu=3, mem=3, latency=9, trust=2)
    m = E.EdgeContainerManager([near, far])
    hog = _svc("hog", cpu=2, mem=2, latency=10, trust=2)
    # near: 2/5·1 (latency) + 2/5·0 (no room) + 1/5·1 (trust) = 3/5
    # far:  2/5·1/2         + 2/5·1/2 (fits)  + 1/5·1/2      = 1/2
    assert (m.calculate_node_score(near, hog), m.calculate_node_score(far, hog)) == \
        (Fraction(3, 5), Fraction(1, 2))
    with pytest.raises(E.InsufficientResources) as e:
        m.deploy_to_edge(hog)
    assert e.value.node == "near" and not m.check_resource_constraints(far, hog)
    assert m.placement == {}


NODE_NAMES = ("n0", "n1", "n2", "n3")


@st.composite
def edge_inputs(draw):
    n_nodes = draw(st.integers(1, 4))
    nodes = [E.EdgeNode(
        NODE_NAMES[i], draw(st.sampled_from(["Beijing", "Shanghai"])),
        E.Resources(draw(st.sampled_from([1, 2, 4])), draw(st.sampled_from([1, 2, 4])) * E.GiB,
                    64 * E.GB, 0, 1000),
        E.Connectivity("Ethernet", draw(st.sampled_from([10, 100])) * E.Mbps,
                       draw(st.integers(1, 30)) * E.ms),
        draw(st.sampled_from(["Arm64", "Amd64"])),
        draw(st.sets(st.sampled_from(["Runc", "Kata", "GVisor"]), min_size=1)),
        draw(st.integers(0, 5))) for i in range(n_nodes)]
    services = [E.EdgeService(
        f"s{i}", "TelemetryIngest",
        E.Resources(draw(st.sampled_from([Fraction(1, 2), 1, 2])),
                    draw(st.sampled_from([256, 1024, 2048])) * E.MiB, E.GiB,
                    draw(st.sampled_from([1, 20])) * E.Mbps),
        draw(st.sampled_from([5, 10, 20])) * E.ms, draw(st.integers(0, 4)),
        draw(st.sampled_from(["Runc", "Kata"])),
        draw(st.sets(st.sampled_from(["Arm64", "Amd64"]), min_size=1)), "Beijing")
        for i in range(draw(st.integers(1, 6)))]
    return nodes, services


def edge_problems(manager_class, nodes, services) -> list[str]:
    """Deploy the services in order; every disagreement with specs/edge.iot and
    specs/scheduling.iot, in words."""
    sp = spec("scheduling.iot")
    strategy = spec_call(sp, "seedStrategy")
    m = manager_class(nodes)
    out = []
    for s in services:
        sv = s.to_value()
        now = {n.name: m.current(n).to_value() for n in nodes}
        scores = {n.name: spec_call(sp, "NodeScore", strategy, now[n.name], sv) for n in nodes}
        eligible = {n.name: spec_call(sp, "Eligible", now[n.name], sv) for n in nodes}
        try:
            d = m.deploy_to_edge(s)
        except E.NoSuitableNode:
            if any(eligible.values()):
                out.append(f"{s.name}: NoSuitableNode, but the spec finds an eligible node")
            continue
        except E.InsufficientResources as e:
            if spec_call(sp, "FitsNode", sv, now[e.node]):
                out.append(f"{s.name}: InsufficientResources on {e.node}, where the spec says it fits")
            continue
        if not eligible[d.node.name]:
            out.append(f"{s.name}: deployed on {d.node.name}, where the spec says it is not eligible")
        if d.score != scores[d.node.name]:
            out.append(f"{s.name}: score {d.score} on {d.node.name}, NodeScore {scores[d.node.name]}")
        suitable = [n.name for n in nodes if m.unsuitable(n, s) is None]
        if d.node.name != max(suitable, key=lambda k: (scores[k], -suitable.index(k))):
            out.append(f"{s.name}: {d.node.name} is not the first best-scored suitable node")
    bindings = frozenset(Record(service=s.to_value(), node=n.to_value()) for s, n in m.bindings())
    if not spec_call(sp, "Feasible", bindings, frozenset(n.to_value() for n in nodes)):
        over = sorted({d for n in nodes for d in ("cpu", "memory", "storage", "network")
                       if getattr(sum((s.request for s, k in m.bindings() if k == n), E.ZERO), d)
                       > getattr(n.limits(), d)})
        out.append(f"Feasible is false for the placement (over capacity: {', '.join(over)})")
    return out


@QUICK
@given(edge_inputs())
def test_edge_manager_agrees_with_the_specs(inputs):
    assert edge_problems(E.EdgeContainerManager, *inputs) == []


def _lax_example(about: str):
    """A smallest input on which the buggy twin's problems include one starting with
    ``about``."""
    return find(edge_inputs(), lambda x: any(p.startswith(about) or f": {about}" in p
                                             for p in edge_problems(E.LaxEdgeManager, *x)),
                settings=settings(max_examples=200, database=None, derandomize=True,
                                  phases=[Phase.generate],   # any example will do: no shrinking
                                  suppress_health_check=list(HealthCheck)))


def test_lax_edge_manager_is_caught_overcommitting_memory():
    nodes, services = _lax_example("Feasible")
    assert "Feasible is false for the placement (over capacity: memory)" in \
        edge_problems(E.LaxEdgeManager, nodes, services)
    assert edge_problems(E.EdgeContainerManager, nodes, services) == []


def test_lax_edge_manager_is_caught_misscoring_a_node_without_memory():
    nodes, services = _lax_example("score")
    problems = edge_problems(E.LaxEdgeManager, nodes, services)
    # the twin's resource score calls a node whose memory is short "fits" (1/2, not 0)
    scored = [re.match(r"s\d+: score (\S+) on n\d, NodeScore (\S+)$", p) for p in problems]
    assert any(m and Fraction(m[1]) - Fraction(m[2]) == Fraction(1, 5) for m in scored), problems
    assert edge_problems(E.EdgeContainerManager, nodes, services) == []


def test_place_on_the_seed_placement_problem():
    from formalc.schedule.evaluate import evaluate as evaluate_placement
    from formalc.schedule.problem import CostTerm, Dim, Node, Problem, Service
    problem = formalc.schedule_problem(spec("scheduling.iot"), "SeedPlacement")
    placement = E.place(problem)
    assert evaluate_placement(problem, placement).valid
    assert problem.named(placement) == {"ingest": ["gw-1"], "broker": ["edge-1"],
                                        "video": ["region-1"]}
    tight = Problem("tight", [Dim("cpu"), Dim("memory")], [Node("n", (Fraction(4), Fraction(1024)))],
                    [Service("a", (Fraction(1), Fraction(768))), Service("b", (Fraction(1), Fraction(768)))],
                    costs={"score": CostTerm("score", ((Fraction(0),), (Fraction(0),)))})
    with pytest.raises(E.InsufficientResources) as e:
        E.place(tight)
    assert (e.value.service, set(e.value.missing)) == ("b", {"memory"})
    bad = evaluate_placement(tight, E.lax_place(tight))
    assert not bad.valid and [v.kind for v in bad.violations] == ["capacity"]
    with pytest.raises(ValueError, match="no cost `latency`"):
        E.place(tight, score="latency")
