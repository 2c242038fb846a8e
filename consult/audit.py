"""Writing audit events: every state change names who did it, before and after."""
import logging

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .core.time import utcnow
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


# Core, not the ORM's bulk machinery: rows written, nothing kept in the session.
_NEW_EVENTS = insert(AuditEvent.__table__)


def record_many(session: Session, actor: User | None, action: str, object_type: str,
                events: list[tuple[int | None, dict | None, dict | None]]) -> int:
    """Audit many changes of one kind at once: ``events`` is ``[(object id, before, after)]``.

    One event per changed object, as :func:`record` would add, written in one executemany
    (bulk operations such as an answers upload change tens of thousands of rows).
    """
    if not events:
        return 0
    now = utcnow()
    actor_id, label = (actor.id, actor.label) if actor is not None else (None, "")
    session.execute(_NEW_EVENTS, [
        {"at": now, "actor_id": actor_id, "actor_label": label, "action": action,
         "object_type": object_type, "object_id": object_id, "before": before, "after": after}
        for object_id, before, after in events])
    log.info("%s %s %s x%d", label or "system", action, object_type, len(events))
    return len(events)
