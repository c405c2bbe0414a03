"""The models, one module per aggregate."""
from .accounts import ROLES, ApiToken, RolloutRole, User
from .audit import AuditEvent
from .people import Person, Unit
from .rollouts import DECISIONS, WAVE_STATES, Membership, Rollout, Wave

__all__ = [
    "ROLES", "ApiToken", "RolloutRole", "User", "AuditEvent", "Person", "Unit",
    "DECISIONS", "WAVE_STATES", "Membership", "Rollout", "Wave",
]
