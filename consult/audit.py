"""Writing audit events: every state change names who did it, before and after."""
import logging

from sqlalchemy.orm import Session

from .models import AuditEvent, User

log = logging.getLogger("consult.audit")


def record(session: Session, actor: User | None, action: str, obj, before=None,
           after=None) -> AuditEvent:
    """Add an audit event for ``action`` on ``obj`` (a model instance, flushed)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.label if actor is not None else "",
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        before=before,
        after=after,
    )
    session.add(event)
    log.info("%s %s %s#%s", event.actor_label or "system", action, event.object_type,
             event.object_id)
    return event
