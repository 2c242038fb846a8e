"""Forms of the consultation settings (administrators)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput

from ..core import languages
from ..core.consultation import NOTICE_ITEMS
from ..core.time import parse_local
from ..forms import Listed, localized_fields, per_languages

LONG_TEXTS = ("proposal", "documents_at", "how_to_comment", "legal_basis")


@per_languages
def NoticeForm() -> type:  # noqa: N802 (used like the class it makes)
    """Every item of the notice in every language (the required ones are checked when
    the consultation is announced or its period set, not here: a draft may be saved)."""
    fields = {}
    for item, label in NOTICE_ITEMS:
        kind = TextAreaField if item in LONG_TEXTS else StringField
        fields.update(localized_fields(item, label, kind, max_length=5000))
    fields["assessment_applies"] = RadioField(
        _l("Does an environmental assessment apply?"),
        choices=[("yes", _l("Yes")), ("no", _l("No")), ("", _l("Not stated yet"))],
        default="", validate_choice=False, validators=[Listed()])
    fields.update(localized_fields("assessment_at", _l("Where the assessment can be read"),
                                   TextAreaField, max_length=2000))
    return type("NoticeForm", (FlaskForm,), fields)


def _local_datetime(form, field):
    try:
        field.parsed = parse_local(field.data or "")
    except ValueError:
        raise ValidationError(_l("Enter a date and time such as 2025-06-01 09:00.")) from None


class PeriodFormBase(FlaskForm):
    opens = StringField(_l("Opens (Bishkek time)"), widget=DateTimeLocalInput(), validators=[
        InputRequired(message=_l("Enter when the consultation opens.")), _local_datetime])
    closes = StringField(_l("Closes (Bishkek time)"), widget=DateTimeLocalInput(), validators=[
        InputRequired(message=_l("Enter when the consultation closes.")), _local_datetime])


@per_languages
def PeriodForm() -> type:  # noqa: N802
    """The period, and why it may be shorter than the minimum (in the required languages)."""
    fields = {name: field for name, field in localized_fields(
        "justification", _l("Why a shorter period is reasonable"), TextAreaField,
        max_length=5000).items() if name.rsplit("_", 1)[1] in languages.required()}
    return type("PeriodForm", (PeriodFormBase,), fields)


class ModerationForm(FlaskForm):
    moderation = RadioField(_l("Moderation"), choices=[
        ("pre", _l("Pre-moderation: a comment appears once a moderator publishes it")),
        ("post", _l("Post-moderation: a comment appears at once; moderators may hide it"))],
        validate_choice=False, validators=[Listed(
            message=_l("Choose pre-moderation or post-moderation."))])
    answer_approval = BooleanField(
        _l("A lead drafter approves each answer before the public reads it"))


class AnnounceForm(FlaskForm):
    """A single button: the CSRF token only."""


@per_languages
def DecisionForm() -> type:  # noqa: N802
    """The decision taken: what, when, its number, the adopted text and where published,
    and the reasons (Aarhus Art. 6(9))."""
    fields = {
        **localized_fields("title", _l("Title of the decision"), max_length=500,
                           required=languages.required(),
                           required_message=_l("Enter the decision's title.")),
        "number": StringField(_l("Number"), validators=[
            Length(max=120, message=_l("Too long."))]),
        "adopted_on": DateField(_l("Date of adoption"), validators=[
            InputRequired(message=_l("Enter the date of adoption."))]),
        "text_url": StringField(_l("Link to the adopted text"), validators=[
            Optional(), URL(require_tld=True, message=_l("Enter a full web address "
                                                         "(https://...).")),
            Length(max=500, message=_l("Too long."))]),
        "version": SelectField(_l("Or the adopted version published here"), coerce=int,
                               choices=[], validate_choice=False),
        "published_url": StringField(_l("Where the decision is published"), validators=[
            InputRequired(message=_l("Enter the address where the decision is published.")),
            URL(require_tld=True, message=_l("Enter a full web address (https://...).")),
            Length(max=500, message=_l("Too long."))]),
        **localized_fields("reasons", _l("Reasons, and how the comments were taken into "
                                         "account"), TextAreaField, max_length=20000,
                           required=languages.required(),
                           required_message=_l("Give the reasons for the decision.")),
    }
    return type("DecisionForm", (FlaskForm,), fields)


class VersionForm(FlaskForm):
    """Confirm a revised version's clause matching, or publish the version (the clause
    links are read from the page's ``old-<key>`` fields)."""
    submit = SubmitField(_l("Confirm the matching"))
