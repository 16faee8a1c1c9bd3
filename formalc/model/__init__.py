"""The typed model: types, nodes, and the builder that makes them from syntax."""
from .nodes import (Assumption, Check, Constant, Definition, Function, Spec, TypeDecl)  # noqa: F401
from .types import Type  # noqa: F401
