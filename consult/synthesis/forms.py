"""The synthesis forms: the drafter's answer, the answers upload, and single-button forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from ..core.vocab import STATUSES
from ..forms import Listed, choices_of, language_choices
from ..i18n import current_lang
from .answers import MAX_TEXT


class AnswerForm(FlaskForm):
    """Status, rationale and change; the rules per status are save_answer's (one place)."""

    status = SelectField(
        _l("Response status"),
        choices=choices_of(STATUSES, blank=_l("Choose…")),
        default="", validate_choice=False)
    rationale = TextAreaField(_l("Rationale (in Kyrgyz and/or Russian)"), validators=[
        Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))])
    change = TextAreaField(_l('Change in the revised draft (clause and wording, or "no change")'),
                           validators=[Length(max=MAX_TEXT,
                                              message=_l("At most %(max)d characters."))])
    # Rationale and change are shown marked with it (lang), so screen readers pronounce them
    # right; most drafters answer in the language of the page they work in.
    language = SelectField(_l("Language of the answer"), choices=language_choices,
                           default=current_lang, validate_choice=False, validators=[Listed()])
    base_revision = HiddenField(validators=[
        Optional(), Regexp(r"^\d{1,9}$", message=_l("The form was damaged; open it again."))])
    ready = BooleanField(_l("Ready for the lead drafter's review"))
    save = SubmitField(_l("Save the answer"))
    save_next = SubmitField(_l("Save and open the next unanswered comment"))


class AssignForm(FlaskForm):
    """Give a comment to a drafter (the choices are filled by the view)."""
    drafter = SelectField(_l("Given to"), choices=[], validate_choice=False,
                          validators=[Optional(), Regexp(r"^\d{0,9}$")])


class ReturnForm(FlaskForm):
    """Send an answer back to its drafter with a note."""
    note = TextAreaField(_l("What should change"), validators=[
        Length(max=2000, message=_l("At most %(max)d characters."))])


class GroupActionForm(FlaskForm):
    """Confirm, split and merge are buttons: the form only carries the CSRF token."""


class AnswersUploadForm(FlaskForm):
    file = FileField(_l("Synthesis workbook with answers (.xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Check and apply"))

