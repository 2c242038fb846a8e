"""Forms of the hearing records, fast entry, uploads and letters (staff only)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateTimeLocalField, IntegerField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from ..config import LANGUAGES
from ..i18n import LANGUAGE_NAMES
from ..labels import (CATEGORY_LABELS, CHANNEL_LABELS, CONSENT_LABELS, FORMAT_LABELS,
                      GENDER_LABELS, HEARING_STATUS_LABELS, REGION_LABELS)
from ..models import CATEGORIES


def _choices(labels: dict) -> list:
    return list(labels.items())


def _count(label):
    return IntegerField(label, validators=[Optional(), NumberRange(
        min=0, max=100000, message=_l("Enter a number of people, 0 or more."))])


class HearingForm(FlaskForm):
    city_ky = StringField(_l("City (Kyrgyz)"), validators=[
        DataRequired(message=_l("Enter the city.")), Length(max=120, message=_l("Too long."))])
    city_ru = StringField(_l("City (Russian)"), validators=[Length(max=120, message=_l("Too long."))])
    city_en = StringField(_l("City (English)"), validators=[Length(max=120, message=_l("Too long."))])
    starts_at = DateTimeLocalField(_l("Starts (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    venue_ky = StringField(_l("Venue (Kyrgyz)"), validators=[Length(max=300, message=_l("Too long."))])
    venue_ru = StringField(_l("Venue (Russian)"), validators=[Length(max=300, message=_l("Too long."))])
    venue_en = StringField(_l("Venue (English)"), validators=[Length(max=300, message=_l("Too long."))])
    format = SelectField(_l("Format"), choices=_choices(FORMAT_LABELS),
                         validators=[InputRequired(message=_l("Choose the format."))])
    online_link = StringField(_l("Online link"), validators=[
        Optional(), URL(require_tld=True, message=_l("Enter a full web address (https://...).")),
        Length(max=500, message=_l("Too long."))])
    languages = SelectMultipleField(_l("Working languages"),
                                    choices=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                                    validators=[DataRequired(message=_l("Choose a language."))])
    agenda_ky = TextAreaField(_l("Agenda (Kyrgyz)"), validators=[Length(max=20000, message=_l("Too long."))])
    agenda_ru = TextAreaField(_l("Agenda (Russian)"), validators=[Length(max=20000, message=_l("Too long."))])
    agenda_en = TextAreaField(_l("Agenda (English)"), validators=[Length(max=20000, message=_l("Too long."))])
    status = SelectField(_l("Status"), choices=_choices(HEARING_STATUS_LABELS),
                         validators=[InputRequired(message=_l("Choose the status."))])
    attendance_total = _count(_l("Attendance, total"))
    attendance_women = _count(_l("Women"))
    attendance_men = _count(_l("Men"))
    attendance_unstated = _count(_l("Gender not stated"))
    organisations = TextAreaField(_l("Organisations present"), validators=[
        Length(max=20000, message=_l("Too long."))])
    minutes = TextAreaField(_l("Minutes"), validators=[Length(max=100000, message=_l("Too long."))])
    submit = SubmitField(_l("Save"))


def add_category_fields(form_class):
    """Attendance by category: one number field per category (``cat_<code>``)."""
    for code in CATEGORIES:
        setattr(form_class, f"cat_{code.replace('-', '_')}", _count(CATEGORY_LABELS[code]))
    return form_class


add_category_fields(HearingForm)


class FileForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("minutes", _l("Signed minutes")),
                                             ("sign-in", _l("Sign-in sheet")),
                                             ("other", _l("Other"))],
                       validators=[InputRequired(message=_l("Choose the kind."))])
    file = FileField(_l("Scan or PDF"), validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))


class EntryForm(FlaskForm):
    document = SelectField(_l("Document"), validators=[
        InputRequired(message=_l("Choose the document."))])
    clause = StringField(_l("Clause"), validators=[
        DataRequired(message=_l("Type the clause number.")),
        Length(max=40, message=_l("Too long."))])
    speaker = StringField(_l("Speaker"), validators=[Length(max=200, message=_l("Too long."))])
    organisation = StringField(_l("Organisation"), validators=[
        Length(max=300, message=_l("Too long."))])
    named = BooleanField(_l("The speaker agreed to be named in public"))
    category = SelectField(_l("Category"), choices=_choices(CATEGORY_LABELS), default="individual",
                           validators=[InputRequired(message=_l("Choose a category."))])
    gender = SelectField(_l("Gender"), choices=_choices(GENDER_LABELS), default="unstated",
                         validators=[InputRequired(message=_l("Choose a gender."))])
    language = SelectField(_l("Language spoken"), choices=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                           validators=[InputRequired(message=_l("Choose a language."))])
    channel = SelectField(_l("How it was given"), default="hearing-oral",
                          choices=[(c, CHANNEL_LABELS[c]) for c in ("hearing-oral", "hearing-written")],
                          validators=[InputRequired(message=_l("Choose how it was given."))])
    body = TextAreaField(_l("Comment"), validators=[
        DataRequired(message=_l("Type the comment.")),
        Length(max=20000, message=_l("Too long."))])
    submit = SubmitField(_l("Save and next"))


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Save"))


class KitUploadForm(FlaskForm):
    file = FileField(_l("Filled hearing kit (.xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))


class ExportUploadForm(FlaskForm):
    file = FileField(_l("Export file (.csv or .xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))


class MappingForm(FlaskForm):
    document = SelectField(_l("Document"), validators=[
        InputRequired(message=_l("Choose the document."))])
    language = SelectField(_l("Language of the comments"),
                           choices=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                           validators=[InputRequired(message=_l("Choose a language."))])
    clause = SelectField(_l("Column with the clause"), coerce=int)
    comment = SelectField(_l("Column with the comment"), coerce=int, validators=[
        NumberRange(min=0, message=_l("Choose the column with the comment."))])
    name = SelectField(_l("Column with the name"), coerce=int)
    organisation = SelectField(_l("Column with the organisation"), coerce=int)
    date = SelectField(_l("Column with the date"), coerce=int)
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Import"))


class LetterForm(FlaskForm):
    channel = SelectField(_l("Received by"), choices=[(c, CHANNEL_LABELS[c]) for c in ("email", "post")],
                          validators=[InputRequired(message=_l("Choose how it was received."))])
    received_at = DateTimeLocalField(_l("Received (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(message=_l("Enter when it was received."))])
    author_name = StringField(_l("Sender's name"), validators=[Length(max=200, message=_l("Too long."))])
    organisation = StringField(_l("Organisation"), validators=[Length(max=300, message=_l("Too long."))])
    category = SelectField(_l("Category"), choices=_choices(CATEGORY_LABELS), default="individual",
                           validators=[InputRequired(message=_l("Choose a category."))])
    region = SelectField(_l("Region"), choices=[("", _l("Not stated"))] + _choices(REGION_LABELS),
                         validators=[Optional()])
    gender = SelectField(_l("Gender"), choices=_choices(GENDER_LABELS), default="unstated",
                         validators=[InputRequired(message=_l("Choose a gender."))])
    consent = SelectField(_l("Consent"), choices=_choices(CONSENT_LABELS), default="anonymous",
                          validators=[InputRequired(message=_l("Choose the consent."))])
    language = SelectField(_l("Language"), choices=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                           validators=[InputRequired(message=_l("Choose a language."))])
    document = SelectField(_l("Document"), validators=[
        InputRequired(message=_l("Choose the document."))])
    clauses = StringField(_l("Clauses addressed (e.g. 5, 7, annex-1.2; empty: whole document)"),
                          validators=[Length(max=500, message=_l("Too long."))])
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(message=_l("Type the text of the letter.")),
        Length(max=20000, message=_l("Too long."))])
    submit = SubmitField(_l("Save"))
