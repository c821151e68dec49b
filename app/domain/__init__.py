"""Pure-Python domain rules of CityPatrol: taxonomy, case lifecycle, validation, ids.

Nothing here imports Qt or a database library, so the desktop client, the CLI, the server
and the tests all share exactly the same rules.
"""

from app.domain.errors import (
    CityPatrolError,
    DomainError,
    FieldError,
    Message,
    TransitionError,
    ValidationError,
)
from app.domain.ids import new_id
from app.domain.lifecycle import (
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    allowed_actions,
    apply_transition,
)
from app.domain.taxonomy import Category, Taxonomy, TaxonomyError, load_default_taxonomy
from app.domain.validation import CaseFields, Urgency, validate_case

__all__ = [
    "Action",
    "CaseFields",
    "CaseStatus",
    "Category",
    "CityPatrolError",
    "DomainError",
    "FieldError",
    "Message",
    "Role",
    "Taxonomy",
    "TaxonomyError",
    "TransitionError",
    "TransitionRequest",
    "Urgency",
    "ValidationError",
    "allowed_actions",
    "apply_transition",
    "load_default_taxonomy",
    "new_id",
    "validate_case",
]
