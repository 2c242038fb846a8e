"""The open-data API fuzzed from its own description (schemathesis, every check): whatever
is sent, the API answers as openapi.json says, never with a server error."""
from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from consult.core.time import utcnow
from consult.models import Consultation, Hearing


@pytest.fixture
def api_schema(app, session, make_document, comment_on):
    """The API over a published consultation with comments of every state and a hearing."""
    make_document()
    consultation = session.query(Consultation).one()
    session.add(Hearing(consultation_id=consultation.id, slug="naryn", city={"en": "Naryn"},
                        status="held", attendance_total=10, attendance_women=6,
                        attendance_men=4, attendance_by_category={"ngo": 3}))
    comment_on(session, author_name="Aida", consent="full", answer=("noted", "", ""))
    comment_on(session, body="Hidden.", state="hidden", hidden_reason="abuse",
               answer=("not-accepted", "Abusive wording, answered all the same.", ""))
    comment_on(session, key=None, body="On the whole document.", consent="none",
               answer=("noted", "", ""))
    consultation.results_published_at = utcnow()
    session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_api_keeps_to_its_description(app, api_schema):
    """Every operation, with parameters drawn from the description and with parameters that
    break it (bounded, repeatable): every response conforms, a bad request is refused with
    4xx, and nothing is a server error."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    for operation, mode in itertools.product(operations, GenerationMode):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            # Through WSGI nothing decodes brotli or gzip, which requests asks for by default.
            case.call_and_validate(headers={"Accept-Encoding": "identity"})
        try:
            call()
        except Unsatisfiable:
            # An operation without parameters has no invalid request to make.
            assert mode is GenerationMode.NEGATIVE

