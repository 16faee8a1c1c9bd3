"""Renderers: they turn a Report into text or JSON and never call the solver."""
