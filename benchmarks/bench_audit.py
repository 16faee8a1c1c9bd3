"""`formalc audit` on many Kubernetes workloads (a benchmark, not a test).

Generates ``--files`` Deployment manifests (one per file, in a temporary folder) with 1-4
containers each, a mix of compliant (restricted) and violating ones (hostNetwork, hostPath,
privileged, added capabilities, no seccomp profile, …), then:

  * end to end: ``python -m formalc audit DIR --format json`` in a fresh process, median of
    ``--runs``; prints files, artifacts, verdicts, findings, seconds and peak RSS (the child's
    ru_maxrss);
  * in process: the split between importing the files (formalc.artifacts.load) and
    evaluating the policies (formalc.audit.run.audit minus the import), plus loading the spec;
  * the seccomp analysis of the moby default profile, end to end
    (``python -m formalc audit ../shared/data/seccomp/moby-default.json``), median of ``--runs``.

Goal: the 1,000 workloads in < 20 s on a 2-core machine.

    python benchmarks/bench_audit.py
    python benchmarks/bench_audit.py --files 200 --runs 1
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, median, table

MOBY = ROOT.parent / "shared" / "data" / "seccomp" / "moby-default.json"

_GOOD_CTX = """          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            runAsUser: {uid}
            readOnlyRootFilesystem: true
            seccompProfile: {{type: RuntimeDefault}}
            capabilities:
              drop: [ALL]
"""
_BAD_CTXS = [
    "          securityContext:\n            privileged: true\n",
    "          securityContext:\n            capabilities:\n              add: [NET_ADMIN, SYS_TIME]\n",
    "          securityContext:\n            allowPrivilegeEscalation: true\n            runAsUser: 0\n",
    "",  # nothing set: fails Restricted only
]


def deployment(i: int, rnd: random.Random) -> str:
    compliant = rnd.random() < 0.4
    n = rnd.randint(1, 4)
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: camera-{i:04d}",
             "  namespace: fleet", "spec:", f"  replicas: {rnd.randint(1, 5)}", "  selector:",
             f"    matchLabels: {{app: camera-{i:04d}}}", "  template:", "    metadata:",
             f"      labels: {{app: camera-{i:04d}}}", "    spec:"]
    volumes = ["      volumes:", "        - name: cache", "          emptyDir: {}"]
    if not compliant:
        r = rnd.random()
        if r < 0.25:
            lines.append("      hostNetwork: true")
        elif r < 0.5:
            volumes += ["        - name: footage", "          hostPath:",
                        f"            path: /var/lib/camera/{i}"]
    lines.append("      containers:")
    for k in range(n):
        lines += [f"        - name: c{k}", f"          image: registry.example/cam/c{k}:{i % 7}",
                  "          ports:", f"            - containerPort: {8000 + k}",
                  "          resources:",
                  f"            limits: {{cpu: {rnd.choice(['100m', '250m', '1'])}, "
                  f"memory: {rnd.choice(['64Mi', '256Mi', '1Gi'])}}}",
                  "          volumeMounts:", "            - {name: cache, mountPath: /tmp}"]
        if compliant or rnd.random() < 0.5:
            lines.append(_GOOD_CTX.format(uid=10000 + k).rstrip("\n"))
        else:
            ctx = rnd.choice(_BAD_CTXS).rstrip("\n")
            if ctx:
                lines.append(ctx)
    return "\n".join(lines + volumes) + "\n"


def generate(folder: Path, files: int, seed: int) -> None:
    rnd = random.Random(seed)
    for i in range(files):
        (folder / f"camera-{i:04d}.yaml").write_text(deployment(i, rnd), encoding="utf-8")


_CHILD = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "rc": p.returncode, "stdout": p.stdout,
                  "stderr": p.stderr[-2000:]}))
"""


def fresh(args: list[str]) -> dict:
    """Run ``python -m formalc ARGS`` in a fresh process; wall seconds, peak RSS, output.
    (A wrapper process measures it, so the RSS is that of the formalc process alone.)"""
    cmd = [sys.executable, "-c", _CHILD, sys.executable, "-m", "formalc", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def in_process(folder: Path) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from formalc.api import load
    from formalc.artifacts.load import load_artifacts
    from formalc.audit.run import audit, bundled_spec
    t1 = time.perf_counter()
    specs = {"pod": load(bundled_spec("pss")), "oci": load(bundled_spec("threats"))}
    t2 = time.perf_counter()
    load_artifacts(folder)
    t3 = time.perf_counter()
    audit([str(folder)], specs)
    t4 = time.perf_counter()
    return {"import formalc": t1 - t0, "load specs": t2 - t1, "import files": t3 - t2,
            "evaluate": (t4 - t3) - (t3 - t2), "audit (import + evaluate)": t4 - t3}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=10)
    a = p.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="formalc-audit-bench-") as tmp:
        folder = Path(tmp)
        generate(folder, a.files, a.seed)
        runs = [fresh(["audit", str(folder), "--format", "json"]) for _ in range(a.runs)]
        rep = json.loads(runs[0]["stdout"])
        s = rep["summary"]
        wall = median(r["wall"] for r in runs)
        rss = max(r["rss_kib"] for r in runs) / 1024
        print(f"\nformalc audit DIR --format json  ({a.runs} fresh processes, median)")
        print(table(["files", "artifacts", "verdicts", "violated", "findings", "seconds",
                     "peak RSS MiB", "exit"],
                    [[str(len(rep["files"])), str(s["artifacts"]), str(s["verdicts"]),
                      str(s["violated"]), str(s["findings"]), f"{wall:.2f}", f"{rss:.0f}",
                      str(runs[0]["rc"])]]))
        print("  runs: " + ", ".join(f"{r['wall']:.2f}" for r in runs) + " s;  goal < 20 s: "
              + ("met" if wall < 20 else "NOT met"))
        split = in_process(folder)
        print("\nin process (one run)")
        print(table(["phase", "seconds"], [[k, f"{v:.2f}"] for k, v in split.items()]))
    if MOBY.exists():
        runs = [fresh(["audit", str(MOBY)]) for _ in range(a.runs)]
        tail = runs[0]["stdout"].strip().splitlines()[-1]
        print(f"\nformalc audit ../shared/data/seccomp/moby-default.json  ({a.runs} fresh "
              "processes, median)")
        print(table(["seconds", "peak RSS MiB", "exit", "summary"],
                    [[f"{median(r['wall'] for r in runs):.2f}",
                      f"{max(r['rss_kib'] for r in runs) / 1024:.0f}", str(runs[0]["rc"]), tail]]))
    else:
        print(f"\n(moby profile not found at {MOBY}; skipped)")


if __name__ == "__main__":
    main()
