"""Imports every model module so the metadata (and Alembic) sees every table."""

from parley.audit import models as audit_models
from parley.auth import models as auth_models
from parley.commitments import models as commitment_models
from parley.db.base import Base
from parley.intake import models as intake_models
from parley.notes import models as note_models
from parley.operations import models as operations_models
from parley.positions import models as position_models
from parley.processes import models as process_models
from parley.sequencing import models as sequencing_models
from parley.sessions import models as session_models
from parley.texts import models as text_models

MODEL_MODULES = (
    audit_models,
    auth_models,
    commitment_models,
    intake_models,
    note_models,
    operations_models,
    position_models,
    process_models,
    sequencing_models,
    session_models,
    text_models,
)

metadata = Base.metadata
