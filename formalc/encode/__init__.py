"""Encoders from the typed model to Z3. This package is the only place that imports z3."""
