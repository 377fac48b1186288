"""The inspections world (an estate served by a firm, supervisors with signing keys), for the
district view's rectification notices."""

from tests.test_inspections.helpers import world  # noqa: F401
