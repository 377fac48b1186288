"""Every model, imported once so that SQLAlchemy and Alembic see the whole schema."""

from webapp.assemblies.models import AgendaItem, Assembly, Bidder, NoticeVersion, PlanOption
from webapp.attachments.models import Attachment
from webapp.audit.models import AuditCheckpoint, AuditEvent
from webapp.auth.models import EstateRole, LoginThrottle, StaffNotice, StaffUser
from webapp.bodies.models import OrganisingBody
from webapp.candidates.models import Candidate
from webapp.core.db import db
from webapp.core.models import DeviceChallenge, InstallationKey, ServerSession
from webapp.devices.models import DeviceKey
from webapp.disclosures.models import Disclosure, DisclosureVersion
from webapp.district.models import EstateArea, StaffArea
from webapp.estates.models import Estate
from webapp.evaluations.models import Evaluation, EvaluationAnswer, EvaluationForm, EvaluationIssue
from webapp.firms.models import Firm, FirmEstate, FirmUser
from webapp.inspections.models import FirmAnswer, FollowUp, Inspection, InspectionForm, RectificationNotice
from webapp.jobs.models import Job
from webapp.owners.models import Invitation, Notification, Registration, SmsCode
from webapp.petitions.models import Petition, PetitionMember, PetitionSignature, PetitionTreeHead
from webapp.pool.models import Interest, PoolTerm
from webapp.proxies.models import Proxy
from webapp.rankings.models import Ranking, RankingEntry, RankingRule
from webapp.registry.models import Building, Owner, OwnerHolder, RegistryImport, Unit
from webapp.results.models import Certification, Objection, TallyRecord
from webapp.rolls.models import Roll, RollEntry, RollSignature, RollSupplement, RollSupplementSignature
from webapp.voting.models import Ballot, BallotInspection, BallotLog, LogNode, PaperEntry, PaperSheet, TreeHead

metadata = db.metadata

__all__ = [
    "EstateArea",
    "StaffArea",
    "AuditCheckpoint",
    "Certification",
    "Objection",
    "TallyRecord",
    "Notification",
    "AgendaItem",
    "Assembly",
    "Attachment",
    "Ballot",
    "BallotInspection",
    "BallotLog",
    "Bidder",
    "PlanOption",
    "Candidate",
    "LogNode",
    "NoticeVersion",
    "PaperEntry",
    "PaperSheet",
    "Petition",
    "PetitionMember",
    "PetitionSignature",
    "PetitionTreeHead",
    "Proxy",
    "Ranking",
    "RankingEntry",
    "RankingRule",
    "TreeHead",
    "DeviceChallenge",
    "InstallationKey",
    "LoginThrottle",
    "ServerSession",
    "SmsCode",
    "AuditEvent",
    "Building",
    "DeviceKey",
    "Invitation",
    "Registration",
    "Roll",
    "RollEntry",
    "RollSignature",
    "RollSupplement",
    "RollSupplementSignature",
    "Estate",
    "Evaluation",
    "EvaluationAnswer",
    "EvaluationForm",
    "EvaluationIssue",
    "Firm",
    "FirmEstate",
    "Interest",
    "PoolTerm",
    "FirmAnswer",
    "FirmUser",
    "FollowUp",
    "Inspection",
    "InspectionForm",
    "RectificationNotice",
    "EstateRole",
    "Job",
    "Owner",
    "OwnerHolder",
    "RegistryImport",
    "StaffUser",
    "StaffNotice",
    "OrganisingBody",
    "Disclosure",
    "DisclosureVersion",
    "Unit",
    "metadata",
]
