"""Obligations and their results."""
from .results import Binding, Blame, Report, Result, Verdict  # noqa: F401
