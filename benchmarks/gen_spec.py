"""Generate a large, valid, realistic .iot spec for the benchmarks (not a test).

The spec models an IoT edge fleet: enumerations (runtimes, capabilities, locations, tiers,
lifecycle states), tuple types with typed fields and quantities (EdgeNode, Container, Link,
Service), function tables (isolation per runtime, the lifecycle transition function δ),
predicates and metrics, thousands of named instances, zone/application sets, and checks.

Every generated check holds by construction (the generator computes the instance values
itself), so a check run measures proofs, not counterexample extraction; ``--violated``
makes a fraction of the simple checks false on purpose.

    python benchmarks/gen_spec.py                       # defaults: 2,000 nodes, 500 checks, ≥ 20,000 lines
    python benchmarks/gen_spec.py --nodes 500 --checks 100 --lines 5000 -o /tmp/small.iot
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from fractions import Fraction as F

# ------------------------------------------------------------------------- vocabulary
RUNTIMES = ["runc", "crun", "youki", "kata", "gvisor", "firecracker", "wasmedge"]
ISOLATION = {"runc": 1, "crun": 1, "youki": 1, "kata": 3, "gvisor": 2, "firecracker": 3,
             "wasmedge": 2}
STARTUP = {"runc": "80ms", "crun": "40ms", "youki": "45ms", "kata": "600ms", "gvisor": "250ms",
           "firecracker": "150ms", "wasmedge": "5ms"}
CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
        "NET_ADMIN", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_TIME", "BPF",
        "PERFMON", "IPC_LOCK", "SYS_NICE"]
DANGEROUS = ["SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "BPF"]
DEFAULT_CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
                "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE",
                "SETFCAP"]
SAFE_CAPS = [c for c in CAPS if c not in DANGEROUS]
LOCATIONS = ["Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Wuhan",
             "Xian", "Nanjing", "Tianjin", "Chongqing", "Suzhou", "Qingdao", "Dalian", "Xiamen",
             "Harbin", "Kunming", "Lhasa", "Urumqi", "Lanzhou", "Berlin", "Munich", "Paris",
             "Lyon", "Madrid", "Milan", "Vienna", "Zurich", "Oslo", "Helsinki", "Tokyo", "Osaka",
             "Seoul", "Singapore", "Jakarta", "Mumbai", "Dubai", "Nairobi", "SaoPaulo", "Toronto"]
TIERS = ["Far", "Near", "Regional", "Core"]
TIER_LATENCY = {"Far": (2, 15), "Near": (5, 30), "Regional": (15, 60), "Core": (30, 120)}  # ms
PROTOCOLS = ["MQTT", "CoAP", "HTTP", "AMQP", "gRPC"]
STATES = ["Created", "Running", "Paused", "Stopped", "Deleted"]
EVENTS = ["start", "pause", "resume", "stop", "delete"]
DELTA = {("Created", "start"): "Running", ("Running", "pause"): "Paused",
         ("Paused", "resume"): "Running", ("Running", "stop"): "Stopped",
         ("Paused", "stop"): "Stopped", ("Created", "delete"): "Deleted",
         ("Stopped", "delete"): "Deleted", ("Stopped", "start"): "Running"}

CPU_CHOICES = [F(1, 2), F(1), F(2), F(4), F(8), F(16), F(32)]
GIB = 1024 ** 3
MIB = 1024 ** 2
NODE_MEM_GIB = [1, 2, 4, 8, 16, 32, 64, 128]
BANDWIDTH_MBPS = [10, 50, 100, 200, 500, 1000, 10000]
CONTAINER_CPU_MILLI = [50, 100, 125, 250, 500, 750, 1000, 1500, 2000, 4000]
CONTAINER_MEM_MIB = [16, 32, 64, 128, 256, 384, 512, 768, 1024, 2048, 4096]


def cpu_lit(c: F) -> str:
    if c.denominator == 1:
        return str(c.numerator)
    milli = c * 1000
    assert milli.denominator == 1
    return f"{milli.numerator}m"


def mem_lit(b: int) -> str:
    if b % GIB == 0:
        return f"{b // GIB}GiB"
    assert b % MIB == 0
    return f"{b // MIB}MiB"


def bw_lit(mbps: int) -> str:
    return f"{mbps // 1000}Gbps" if mbps % 1000 == 0 else f"{mbps}Mbps"


@dataclass
class Node:
    name: str
    location: str
    tier: str
    cpu: F
    memory: int  # bytes
    bandwidth: int  # Mbps
    latency: int  # ms
    security: int


@dataclass
class Container:
    name: str
    image: str
    runtime: str
    caps: list
    privileged: bool
    readonly: bool
    node: Node
    cpu: F
    memory: int
    state: str


@dataclass
class Link:
    name: str
    src: Node
    dst: Node
    bandwidth: int  # Mbps
    latency: int  # ms
    protocol: str
    encrypted: bool


class Gen:
    def __init__(self, nodes: int, containers: int, links: int, checks: int,
                 quantified: float, violated: float, seed: int) -> None:
        self.r = random.Random(seed)
        self.n_nodes, self.n_containers, self.n_links = nodes, containers, links
        self.n_checks, self.quantified, self.violated = checks, quantified, violated
        self.out: list[str] = []
        self.nodes: list[Node] = []
        self.containers: list[Container] = []
        self.links: list[Link] = []
        self.zones: dict[str, list[Node]] = {}
        self.apps: dict[str, list[Container]] = {}

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)

    # --------------------------------------------------------------------- declarations
    def header(self) -> None:
        e = self.emit
        e("@def 2.1", f"Runtime = {{{', '.join(RUNTIMES)}}}")
        e(f"Capability = {{{', '.join(CAPS[:12])},")
        e(f"              {', '.join(CAPS[12:])}}}")
        e("@def 2.2", f"Dangerous = {{{', '.join(DANGEROUS)}}}")
        e(f"DefaultCaps = {{{', '.join(DEFAULT_CAPS[:7])},")
        e(f"               {', '.join(DEFAULT_CAPS[7:])}}}")
        e(f"Location = {{{', '.join(LOCATIONS[:10])},")
        for k in range(10, 30, 10):
            e(f"            {', '.join(LOCATIONS[k:k + 10])},")
        e(f"            {', '.join(LOCATIONS[30:])}}}")
        e(f"Tier = {{{', '.join(TIERS)}}}")
        e(f"Protocol = {{{', '.join(PROTOCOLS)}}}")
        e(f"States = {{{', '.join(STATES)}}}")
        e(f"Events = {{{', '.join(EVENTS)}}}")
        e("")
        e("@def 2.3",
          "EdgeNode = (location: Location, tier: Tier, cpu: CPU, memory: Bytes,",
          "            bandwidth: Bandwidth, latency: Time, security: Int)")
        e("@def 2.4",
          "Container = (name: String, image: String, runtime: Runtime, caps: set Capability,",
          "             privileged: Bool, readonly: Bool, node: EdgeNode, cpu: CPU,",
          "             memory: Bytes, state: States)")
        e("Link = (src: EdgeNode, dst: EdgeNode, bandwidth: Bandwidth, latency: Time,",
          "        protocol: Protocol, encrypted: Bool)")
        e("")
        e("isolation: Runtime → Int")
        for rt in RUNTIMES:
            e(f"isolation({rt}) = {ISOLATION[rt]}")
        e("startup: Runtime → Time")
        for rt in RUNTIMES:
            e(f"startup({rt}) = {STARTUP[rt]}")
        e("weight: Tier → Int")
        for i, t in enumerate(TIERS):
            e(f"weight({t}) = {i + 1}")
        e("@def 3.1", "δ: States × Events → States")
        for s in STATES:
            for ev in EVENTS:
                e(f"δ({s}, {ev}) = {DELTA.get((s, ev), s)}")
        e("")
        e("max_util: Ratio",
          "assume util_cap: max_util ≥ 50% ∧ max_util ≤ 90%",
          "budget: Time",
          "assume budget_range: budget ≥ 100ms ∧ budget ≤ 1s")
        e("")
        e("@def 3.2",
          "Safe(c: Container) := ¬c.privileged ∧ c.caps ∩ Dangerous = {}",
          "Hardened(c: Container) := Safe(c) ∧ c.readonly ∧ c.caps ⊆ DefaultCaps",
          "Fits(c: Container) := c.cpu ≤ c.node.cpu ∧ c.memory ≤ c.node.memory",
          "FitsOn(c: Container, n: EdgeNode) := c.cpu ≤ n.cpu ∧ c.memory ≤ n.memory",
          "Util(c: Container) := c.cpu / c.node.cpu",
          "MemShare(c: Container) := c.memory / c.node.memory",
          "@def 3.3",
          "IsolationLevel(c: Container) := isolation(c.runtime) / 3",
          "Strong(c: Container) := IsolationLevel(c) ≥ 2/3",
          "Trusted(n: EdgeNode) := n.security ≥ 3 ∧ weight(n.tier) ≥ 1",
          "BDP(l: Link) := l.bandwidth × l.latency",
          "Secure(l: Link) := l.encrypted ∨ (l.src.security ≥ 4 ∧ l.dst.security ≥ 4)",
          "RoundTrip(l: Link) := l.latency + l.src.latency + l.dst.latency",
          "ColdStart(c: Container) := startup(c.runtime) + c.node.latency",
          "CPUTotal(S: set EdgeNode) := Σ n ∈ S • n.cpu",
          "MemTotal(S: set EdgeNode) := Σ n ∈ S • n.memory",
          "Demand(A: set Container) := Σ c ∈ A • c.cpu",
          "Alive(c: Container) := c.state = Running ∨ c.state = Paused")
        e("")

    def make_nodes(self) -> None:
        r = self.r
        for i in range(self.n_nodes):
            tier = r.choice(TIERS)
            lo, hi = TIER_LATENCY[tier]
            n = Node(f"n{i}", r.choice(LOCATIONS), tier, r.choice(CPU_CHOICES),
                     r.choice(NODE_MEM_GIB) * GIB, r.choice(BANDWIDTH_MBPS), r.randint(lo, hi),
                     r.randint(1, 5))
            self.nodes.append(n)
            pad = " " * (len(n.name) + 13)
            self.emit(f"{n.name} := EdgeNode(location: {n.location}, tier: {n.tier}, "
                      f"cpu: {cpu_lit(n.cpu)}, memory: {mem_lit(n.memory)},",
                      f"{pad}bandwidth: {bw_lit(n.bandwidth)}, latency: {n.latency}ms, "
                      f"security: {n.security})")
        self.emit("")
        for z in range(0, self.n_nodes, 10):
            members = self.nodes[z:z + 10]
            name = f"zone{z // 10}"
            self.zones[name] = members
            self.emit(f"{name} := {{{', '.join(m.name for m in members)}}}")
        self.emit("")

    def make_containers(self) -> None:
        r = self.r
        for i in range(self.n_containers):
            node = r.choice(self.nodes)
            cpu = F(r.choice([m for m in CONTAINER_CPU_MILLI if F(m, 1000) <= node.cpu]), 1000)
            mem = r.choice([m for m in CONTAINER_MEM_MIB if m * MIB <= node.memory]) * MIB
            privileged = r.random() < 0.05
            pool = SAFE_CAPS if r.random() < 0.9 else CAPS
            caps = sorted(r.sample(pool, r.randint(0, 4)), key=CAPS.index)
            c = Container(f"c{i}", f"registry.local/app{r.randint(0, 199)}:{r.randint(1, 9)}.0",
                          r.choice(RUNTIMES), caps, privileged, r.random() < 0.6, node, cpu, mem,
                          r.choice(STATES))
            self.containers.append(c)
            pad = " " * (len(c.name) + 14)
            self.emit(f'{c.name} := Container(name: "{c.name}", image: "{c.image}", '
                      f"runtime: {c.runtime}, caps: {{{', '.join(c.caps)}}},",
                      f"{pad}privileged: {str(c.privileged).lower()}, "
                      f"readonly: {str(c.readonly).lower()}, node: {node.name}, "
                      f"cpu: {cpu_lit(c.cpu)}, memory: {mem_lit(c.memory)}, state: {c.state})")
        self.emit("")
        for a in range(0, self.n_containers, 8):
            members = self.containers[a:a + 8]
            name = f"app{a // 8}"
            self.apps[name] = members
            self.emit(f"{name} := {{{', '.join(m.name for m in members)}}}")
        self.emit("")

    def make_links(self) -> None:
        r = self.r
        for i in range(self.n_links):
            a, b = r.sample(self.nodes, 2)
            ln = Link(f"l{i}", a, b, r.choice(BANDWIDTH_MBPS), r.randint(1, 80),
                      r.choice(PROTOCOLS), r.random() < 0.8)
            self.links.append(ln)
            self.emit(f"{ln.name} := Link(src: {a.name}, dst: {b.name}, "
                      f"bandwidth: {bw_lit(ln.bandwidth)}, latency: {ln.latency}ms, "
                      f"protocol: {ln.protocol}, encrypted: {str(ln.encrypted).lower()})")
        self.emit("")

    # --------------------------------------------------------------------------- checks
    def _floor_mem(self, b: int) -> str:
        """A round threshold ≤ b."""
        cands = [m * MIB for m in (128, 256, 512)] + [g * GIB for g in NODE_MEM_GIB]
        return mem_lit(max(c for c in cands if c <= b))

    def simple_check(self, i: int) -> str:
        r = self.r
        kind = i % 12
        if kind in (0, 1):
            n = r.choice(self.nodes)
            return (f"check mem_{n.name}_{i}: {n.name}.memory ≥ {self._floor_mem(n.memory)} "
                    f"∧ {n.name}.cpu ≤ {cpu_lit(max(n.cpu, F(8)))}")
        if kind == 2:
            a, b = r.sample(self.nodes, 2)
            bound = ((a.latency + b.latency) // 10 + 1) * 10
            return f"check lat_{a.name}_{b.name}: {a.name}.latency + {b.name}.latency ≤ {bound}ms"
        if kind == 3:
            c = r.choice(self.containers)
            return f"check fits_{c.name}: Fits({c.name})"
        if kind == 4:
            c = r.choice([c for c in self.containers if not c.privileged
                          and not set(c.caps) & set(DANGEROUS)])
            return f"check safe_{c.name}: Safe({c.name})"
        if kind == 5:
            c = r.choice(self.containers)
            u = c.cpu / c.node.cpu
            return f"check util_{c.name}: Util({c.name}) ≤ {u.numerator}/{u.denominator} ∧ Util({c.name}) > 0"
        if kind == 6:
            c = r.choice([c for c in self.containers if c.cpu / c.node.cpu <= F(1, 2)])
            return f"check cap_{c.name}: Util({c.name}) ≤ max_util"
        if kind == 7:
            c = r.choice(self.containers)
            lvl = ISOLATION[c.runtime]
            return (f"check iso_{c.name}: isolation({c.name}.runtime) ≥ {lvl} "
                    f"∧ IsolationLevel({c.name}) ≥ {lvl}/3")
        if kind == 8:
            ln = r.choice(self.links)
            bdp_bytes = F(ln.bandwidth * 10 ** 6 * ln.latency, 1000 * 8)
            bound = ((bdp_bytes // 1000) + 1)
            return f"check bdp_{ln.name}: BDP({ln.name}) ≤ {bound}KB"
        if kind == 9:
            ln = r.choice(self.links)
            rt = ln.latency + ln.src.latency + ln.dst.latency
            return (f"check rtt_{ln.name}: RoundTrip({ln.name}) ≤ {rt}ms "
                    f"∧ {ln.name}.src.security + {ln.name}.dst.security ≥ "
                    f"{ln.src.security + ln.dst.security}")
        if kind == 10:
            c = r.choice(self.containers)
            ev = r.choice(EVENTS)
            nxt = DELTA.get((c.state, ev), c.state)
            return f"check life_{c.name}_{ev}: δ({c.name}.state, {ev}) = {nxt}"
        c = r.choice([c for c in self.containers
                      if int(STARTUP[c.runtime][:-2]) + c.node.latency <= 100])  # budget ≥ 100ms
        return f"check cold_{c.name}: ColdStart({c.name}) ≤ budget"

    def quantified_check(self, i: int) -> list[str]:
        r = self.r
        kind = i % 8
        if kind == 0:
            z = r.choice(list(self.zones))
            bound = max(n.latency for n in self.zones[z])
            return [f"check {z}_latency_{i}: ∀ n ∈ {z} • n.latency ≤ {bound}ms"]
        if kind == 1:
            z = r.choice(list(self.zones))
            total = sum(n.cpu for n in self.zones[z])
            return [f"check {z}_capacity_{i}: CPUTotal({z}) ≥ {cpu_lit(total)} "
                    f"∧ MemTotal({z}) ≥ {self._floor_mem(sum(n.memory for n in self.zones[z]))}"]
        if kind == 2:
            z = r.choice([z for z, ns in self.zones.items() if any(n.security >= 3 for n in ns)])
            return [f"check {z}_trusted_{i}: ∃ n ∈ {z} • Trusted(n)"]
        if kind == 3:
            a = r.choice(list(self.apps))
            k = sum(1 for c in self.apps[a] if not c.privileged
                    and not set(c.caps) & set(DANGEROUS))
            return [f"check {a}_safe_count_{i}:",
                    f"    |{{ c ∈ {a} | Safe(c) }}| ≥ {k}"]
        if kind == 4:
            a = r.choice(list(self.apps))
            return [f"check {a}_fits_{i}: ∀ c ∈ {a} • Fits(c) ∧ c.node.cpu ≥ c.cpu"]
        if kind == 5:
            a = r.choice(list(self.apps))
            d = sum(c.cpu for c in self.apps[a])
            return [f"check {a}_demand_{i}: Demand({a}) ≤ {cpu_lit(d)}"]
        if kind == 6:
            a = r.choice(list(self.apps))
            z = r.choice(list(self.zones))
            return [f"check sat {a}_{z}_placement_{i}:",
                    f"    ∃ c ∈ {a}, n ∈ {z} • FitsOn(c, n) ∨ c.memory ≤ 64GiB"]
        a = r.choice(list(self.apps))
        return [f"check {a}_alive_{i}:",
                f"    ∀ c ∈ {a} • Alive(c) ⇒ δ(c.state, stop) = Stopped"]

    def checks(self) -> None:
        n_quant = round(self.n_checks * self.quantified)
        n_simple = self.n_checks - n_quant
        lines: list[str] = []
        used: set[str] = set()
        for i in range(n_simple):
            line = self.simple_check(i)
            name = line.split(":", 1)[0].split()[-1]
            if name in used:  # the same instance drawn twice: keep check names unique
                line = line.replace(f"check {name}:", f"check {name}_{i}:", 1)
                name = f"{name}_{i}"
            used.add(name)
            if self.r.random() < self.violated:  # flip a threshold: the check becomes false
                line = line.replace(" ≤ ", " > ", 1) if " ≤ " in line else line.replace(": ", ": ¬(", 1) + ")"
            if i % 25 == 0:
                lines.append(f"@def 4.{i // 25 + 1}")
            lines.append(line)
        lines.append("")
        lines.append("check lifecycle_total: ∀ s: States, e: Events • δ(s, e) ∈ States")
        lines.append("check deleted_absorbing: ∀ e: Events • δ(Deleted, e) = Deleted")
        lines.append("check runtime_isolation: ∀ r: Runtime • isolation(r) ≥ 1 ∧ isolation(r) ≤ 3")
        for i in range(max(0, n_quant - 3)):
            lines.extend(self.quantified_check(i))
        self.emit(*lines)

    def generate(self) -> list[str]:
        self.header()
        self.make_nodes()
        self.make_containers()
        self.make_links()
        self.checks()
        return self.out


def generate(nodes: int = 2000, checks: int = 500, lines: int = 20000, *, quantified: float = 0.15,
             violated: float = 0.0, seed: int = 1) -> str:
    """The spec text: ``nodes`` EdgeNodes, ``checks`` checks, padded with containers (2 lines
    each, 3 per node at least) and links until the text has at least ``lines`` lines."""
    containers, links = 3 * nodes, nodes
    while True:
        out = Gen(nodes, containers, links, checks, quantified, violated, seed).generate()
        if len(out) >= lines:
            return "\n".join(out) + "\n"
        deficit = lines - len(out)
        containers += deficit * 2 // 5 + 1  # fill 4/5 of the gap with containers, 1/5 with links
        links += deficit // 5 + 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=2000, help="EdgeNode instances (default 2000)")
    p.add_argument("--checks", type=int, default=500, help="checks (default 500)")
    p.add_argument("--lines", type=int, default=20000, help="at least this many lines (default 20000)")
    p.add_argument("--quantified", type=float, default=0.15,
                   help="fraction of checks that quantify over a set (default 0.15)")
    p.add_argument("--violated", type=float, default=0.0,
                   help="fraction of simple checks made false on purpose (default 0)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", help="write here instead of stdout")
    a = p.parse_args(argv)
    text = generate(a.nodes, a.checks, a.lines, quantified=a.quantified, violated=a.violated,
                    seed=a.seed)
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {a.output}: {text.count(chr(10))} lines, {len(text.encode())} bytes",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
