"""The JSON report (schema in docs/json-report.md)."""
from __future__ import annotations

import json

from ..checks.results import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2, sort_keys=False)
