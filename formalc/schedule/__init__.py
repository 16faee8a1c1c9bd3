"""Placement as optimisation and verification (issue 5). See docs/scheduling.md."""
