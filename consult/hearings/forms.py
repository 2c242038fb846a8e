"""Forms of the hearing records, fast entry and kit upload (staff only)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from ..core import languages
from ..core.vocab import (
    CATEGORIES,
    CHANNELS,
    CONSENTS,
    FORMATS,
    GENDERS,
    HEARING_FILE_KINDS,
    HEARING_STATUSES,
)
from ..forms import Listed, choices_of, language_choices, localized_fields, per_languages

TEXT_FIELDS = ("city", "venue", "agenda")  # kept per language


def _count(label):
    return IntegerField(label, validators=[Optional(), NumberRange(
        min=0, max=100000, message=_l("Enter a number of people, 0 or more."))])


def category_field(code: str) -> str:
    """The name of the attendance field of a category (``cat_local_government``)."""
    return f"cat_{code.replace('-', '_')}"


class HearingFormBase(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    format = SelectField(_l("Format"), choices=choices_of(FORMATS), validate_choice=False,
                         validators=[InputRequired(message=_l("Choose the format.")),
                                     Listed()])
    online_link = StringField(_l("Online link"), validators=[
        Optional(), URL(require_tld=True, message=_l("Enter a full web address (https://...).")),
        Length(max=500, message=_l("Too long."))])
    languages = SelectMultipleField(_l("Working languages"), choices=language_choices,
                                    validate_choice=False,
                                    validators=[DataRequired(message=_l("Choose a language.")),
                                                Listed()])
    status = SelectField(_l("Status"), choices=choices_of(HEARING_STATUSES),
                         validate_choice=False,
                         validators=[InputRequired(message=_l("Choose the status.")), Listed()])
    attendance_total = _count(_l("Attendance, total"))
    attendance_women = _count(_l("Women"))
    attendance_men = _count(_l("Men"))
    attendance_unstated = _count(_l("Gender not stated"))
    organisations = TextAreaField(_l("Organisations present"), validators=[
        Length(max=20000, message=_l("Too long."))])
    minutes = TextAreaField(_l("Minutes"), validators=[Length(max=100000, message=_l("Too long."))])
    short_notice_reason = TextAreaField(
        _l("Reason for short notice (needed when the hearing starts sooner than the required "
           "advance notice)"),
        validators=[Length(max=2000, message=_l("Too long."))])
    submit = SubmitField(_l("Save"))





@per_languages
def HearingForm() -> type:  # noqa: N802 (used like the class it makes)
    """The hearing form: a city, venue and agenda field per language (the city required in
    the first), attendance per category."""
    fields = {
        **localized_fields("city", _l("City"), max_length=120,
                           required=languages.codes()[:1],
                           required_message=_l("Enter the city.")),
        **localized_fields("venue", _l("Venue"), max_length=300),
        **localized_fields("agenda", _l("Agenda"), TextAreaField, max_length=20000),
        **{category_field(code): _count(CATEGORIES[code]) for code in CATEGORIES}}
    return type("HearingForm", (HearingFormBase,), fields)


class FileForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices_of(HEARING_FILE_KINDS), validate_choice=False,
                       validators=[InputRequired(message=_l("Choose the kind.")), Listed()])
    file = FileField(_l("Scan or PDF"), validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))


class EntryForm(FlaskForm):
    document = SelectField(_l("Document"), validate_choice=False, validators=[
        InputRequired(message=_l("Choose the document.")), Listed()])
    clause = StringField(_l("Clause"), validators=[
        DataRequired(message=_l("Type the clause number.")),
        Length(max=40, message=_l("Too long."))])
    speaker = StringField(_l("Speaker"), validators=[Length(max=200, message=_l("Too long."))])
    organisation = StringField(_l("Organisation"), validators=[
        Length(max=300, message=_l("Too long."))])
    # As on the paper form and in the kit; a form sent without it publishes no name.
    consent = SelectField(_l("Publication"), choices=choices_of(CONSENTS), default="anonymous",
                          validate_choice=False, validators=[Listed()])
    category = SelectField(_l("Category"), choices=choices_of(CATEGORIES), default="individual",
                           validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a category.")), Listed()])
    gender = SelectField(_l("Gender"), choices=choices_of(GENDERS), default="unstated",
                         validate_choice=False,
                         validators=[InputRequired(message=_l("Choose a gender.")), Listed()])
    language = SelectField(_l("Language spoken"), choices=language_choices, validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a language.")), Listed()])
    channel = SelectField(_l("How it was given"), default="hearing-oral",
                          choices=choices_of(CHANNELS.where(hearing=True)), validate_choice=False,
                          validators=[InputRequired(message=_l("Choose how it was given.")),
                                      Listed()])
    body = TextAreaField(_l("Comment"), validators=[
        DataRequired(message=_l("Type the comment.")),
        Length(max=20000, message=_l("Too long."))])
    submit = SubmitField(_l("Save and next"))

    def contribution(self) -> dict:
        """The values the hearing channel takes (``intake.hearing_entry``)."""
        return {"speaker": self.speaker.data or "", "organisation": self.organisation.data or "",
                "consent": self.consent.data, "category": self.category.data,
                "gender": self.gender.data, "language": self.language.data,
                "channel": self.channel.data, "body": (self.body.data or "").strip()}


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Save"))


class KitUploadForm(FlaskForm):
    file = FileField(_l("Filled hearing kit (.xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))
