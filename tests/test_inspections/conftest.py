"""The inspection tests' world: an estate served by a firm, its supervisors with signing keys,
another estate served by another firm, the standard form, a login per firm (tests/test_inspections/helpers.py)."""

from .helpers import world  # noqa: F401 (a fixture)
