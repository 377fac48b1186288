"""Every model, imported once so that SQLAlchemy and Alembic see the whole schema."""
from webapp.audit.models import AuditEvent
from webapp.auth.models import EstateRole, StaffUser
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.jobs.models import Job
from webapp.owners.models import DeviceKey, Invitation, Registration
from webapp.registry.models import Building, Owner, OwnerHolder, RegistryImport, Unit
from webapp.rolls.models import Roll, RollEntry, RollSignature
from webapp.core.models import DeviceChallenge, ServerSession
from webapp.auth.models import LoginThrottle
from webapp.owners.models import SmsCode

metadata = db.metadata

__all__ = ["DeviceChallenge", "LoginThrottle", "ServerSession", "SmsCode", "AuditEvent", "Building", "DeviceKey", "Invitation", "Registration", "Roll", "RollEntry", "RollSignature", "Estate", "EstateRole", "Job", "Owner", "OwnerHolder", "RegistryImport", "StaffUser", "Unit", "metadata"]
