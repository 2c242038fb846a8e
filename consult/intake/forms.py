"""Forms of the staff channels that are not hearings: letters and form exports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.vocab import CATEGORIES, CHANNELS, CONSENTS, GENDERS, REGIONS
from ..forms import Listed, choices_of, language_choices


class ExportUploadForm(FlaskForm):
    file = FileField(_l("Export file (.csv or .xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))


class MappingForm(FlaskForm):
    document = SelectField(_l("Document"), validate_choice=False, validators=[
        InputRequired(message=_l("Choose the document.")), Listed()])
    language = SelectField(_l("Language of the comments"), choices=language_choices,
                           validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a language.")), Listed()])
    clause = SelectField(_l("Column with the clause"), coerce=int)
    comment = SelectField(_l("Column with the comment"), coerce=int, validators=[
        NumberRange(min=0, message=_l("Choose the column with the comment."))])
    name = SelectField(_l("Column with the name"), coerce=int)
    organisation = SelectField(_l("Column with the organisation"), coerce=int)
    date = SelectField(_l("Column with the date"), coerce=int)
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Import"))


class LetterForm(FlaskForm):
    channel = SelectField(_l("Received by"), choices=choices_of(CHANNELS.where(letter=True)),
                          validate_choice=False,
                          validators=[InputRequired(message=_l("Choose how it was received.")),
                                      Listed()])
    received_at = DateTimeLocalField(_l("Received (Asia/Bishkek)"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(
                                         message=_l("Enter when it was received."))])
    author_name = StringField(_l("Sender's name"), validators=[
        Length(max=200, message=_l("Too long."))])
    organisation = StringField(_l("Organisation"), validators=[
        Length(max=300, message=_l("Too long."))])
    category = SelectField(_l("Category"), choices=choices_of(CATEGORIES), default="individual",
                           validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a category.")), Listed()])
    region = SelectField(_l("Region"), choices=choices_of(REGIONS, blank=_l("Not stated")),
                         validate_choice=False, validators=[Listed()])
    gender = SelectField(_l("Gender"), choices=choices_of(GENDERS), default="unstated",
                         validate_choice=False,
                         validators=[InputRequired(message=_l("Choose a gender.")), Listed()])
    consent = SelectField(_l("Consent"), choices=choices_of(CONSENTS), default="anonymous",
                          validate_choice=False,
                          validators=[InputRequired(message=_l("Choose the consent.")), Listed()])
    language = SelectField(_l("Language"), choices=language_choices, validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a language.")), Listed()])
    document = SelectField(_l("Document"), validate_choice=False, validators=[
        InputRequired(message=_l("Choose the document.")), Listed()])
    clauses = StringField(_l("Clauses addressed (e.g. 5, 7, annex-1.2; empty: whole document)"),
                          validators=[Length(max=500, message=_l("Too long."))])
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(message=_l("Type the text of the letter.")),
        Length(max=20000, message=_l("Too long."))])
    submit = SubmitField(_l("Save"))

    def letter(self) -> dict:
        """The values the letter channel takes (``intake.letters``), received_at aside."""
        return {name: (getattr(self, name).data or "").strip() for name in (
            "channel", "author_name", "organisation", "category", "region", "gender",
            "consent", "language", "body")}
