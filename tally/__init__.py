"""The OwnersVote tally: Civil Code Art. 278 double thresholds, in exact integer arithmetic.

Pure Python, standard library only, so that the offline verifier can recompute results without
Flask or a database.  The pipeline is ``load_document`` (validate a JSON document) →
``compute`` (decide every item) → ``result_to_document`` (the output JSON document); see
docs/tally-format.md.
"""

from __future__ import annotations

from typing import Any

from .document import load_document, parse_area, result_to_document
from .engine import compute
from .fmt import area as format_area
from .model import (
    KINDS,
    ONE_OF_KINDS,
    STATUTE_APPROVAL,
    STATUTE_QUORUM,
    Ballot,
    CategoryRule,
    Item,
    Member,
    Rules,
    TallyInput,
    TallyInputError,
    Threshold,
)
from .results import (
    Check,
    ElectionResult,
    ItemResult,
    OptionTally,
    Reason,
    ResolutionResult,
    SelectionResult,
    TallyResult,
    Weight,
)


def tally_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Input document → output document: ``result_to_document(compute(load_document(doc)))``."""
    return result_to_document(compute(load_document(doc)))


__all__ = [
    "KINDS",
    "ONE_OF_KINDS",
    "STATUTE_APPROVAL",
    "STATUTE_QUORUM",
    "Ballot",
    "CategoryRule",
    "Check",
    "ElectionResult",
    "Item",
    "ItemResult",
    "Member",
    "OptionTally",
    "Reason",
    "ResolutionResult",
    "Rules",
    "SelectionResult",
    "TallyInput",
    "TallyInputError",
    "TallyResult",
    "Threshold",
    "Weight",
    "compute",
    "format_area",
    "load_document",
    "parse_area",
    "result_to_document",
    "tally_document",
]
