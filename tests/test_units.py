"""Every unit's conversion, and the dimension algebra, checked through the solver."""
import pytest

import formalc
from formalc import Verdict

EQUAL = [
    ("1000m", "1core"), ("500m", "0.5core"), ("2cores", "2core"), ("1vcpu", "1000m"),
    ("1KB", "1000B"), ("1MB", "1000KB"), ("1GB", "1000MB"), ("1TB", "1000GB"),
    ("1KiB", "1024B"), ("1MiB", "1024KiB"), ("1GiB", "1024MiB"), ("1TiB", "1024GiB"),
    ("1000ns", "1us"), ("1µs", "1us"), ("1000us", "1ms"), ("1000ms", "1s"), ("1min", "60s"),
    ("1h", "60min"), ("1000bps", "1Kbps"), ("1000Kbps", "1Mbps"), ("1000Mbps", "1Gbps"),
    ("8bps × 1s", "1B"), ("100Mbps × 2s", "25MB"), ("1GiB / 1MiB", "1024"), ("50%", "1/2"),
    ("512MiB / 1GiB", "50%"), ("2 × 250m", "500m"), ("1.5GiB", "1536MiB"),
]


@pytest.mark.parametrize("a,b", EQUAL, ids=[f"{a}={b}" for a, b in EQUAL])
def test_unit_conversions(a, b):
    report = formalc.check(formalc.loads(f"check eq: {a} = {b}\ncheck ne: {a} ≠ 2 × ({b})"))
    assert report.result("eq").verdict is Verdict.PROVED
    assert report.result("ne").verdict is Verdict.PROVED


@pytest.mark.parametrize("expr,code", [
    ("1MiB + 1ms", "FC302"), ("1Mbps < 1MB", "FC302"), ("1s = 1", "FC306"),
    ("2 × 1ms < 1KB", "FC302"), ("1Mbit = 1", "FC105"),
])
def test_dimension_errors(expr, code):
    errors = [d for d in formalc.diagnose(f"check c: {expr}") if d.is_error]
    assert errors and errors[0].code == code


def test_display_picks_the_shortest_exact_unit():
    r = formalc.check(formalc.loads(
        "N = (m: Bytes, t: Time, b: Bandwidth, c: CPU)\n"
        "check sat w: ∃ n: N • n.m = 1500MB ∧ n.t = 90s ∧ n.b = 1500Kbps ∧ n.c = 1250m"
    )).result("w")
    shown = {b.name: b.text for b in r.model}
    assert shown == {"n.m": "1500MB", "n.t": "90s", "n.b": "1500Kbps", "n.c": "1250m"}
