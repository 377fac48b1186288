"""Every model, imported once so that SQLAlchemy and Alembic see the whole schema."""
from webapp.audit.models import AuditEvent
from webapp.auth.models import EstateRole, StaffUser
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.registry.models import Building, Owner, OwnerHolder, RegistryImport, Unit

metadata = db.metadata

__all__ = ["AuditEvent", "Building", "Estate", "EstateRole", "Owner", "OwnerHolder", "RegistryImport", "StaffUser", "Unit", "metadata"]
