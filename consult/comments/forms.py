"""The citizen's comment form and the moderator's decision form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ..labels import (CATEGORY_LABELS, CONSENT_LABELS, GENDER_LABELS, HIDE_REASON_LABELS,
                      REGION_LABELS)
from ..models import CATEGORIES, CONSENTS, GENDERS, HIDE_REASONS, REGIONS

BODY_MAX = 10_000


def _choices(codes, labels, blank=None):
    choices = [SelectChoice(code, labels[code]) for code in codes]
    return [SelectChoice("", blank)] + choices if blank is not None else choices


class CommentForm(FlaskForm):
    """Fields named as in the URL contract; no field asks for citizenship or an ID."""

    body = TextAreaField(_l("Your comment"), validators=[
        DataRequired(message=_l("Please write your comment.")),
        Length(max=BODY_MAX, message=_l("A comment may be at most %(max)d characters long; "
                                        "please shorten it or send it in parts."))])
    author_name = StringField(_l("Your name"), validators=[
        Length(max=200, message=_l("A name may be at most %(max)d characters long."))])
    organisation = StringField(_l("Organisation (if you write on its behalf)"), validators=[
        Length(max=300, message=_l("An organisation's name may be at most %(max)d "
                                   "characters long."))])
    category = SelectField(
        _l("You write as"), choices=_choices(CATEGORIES, CATEGORY_LABELS),
        default="individual", validate_choice=False,
        validators=[AnyOf(CATEGORIES, message=_l("Choose one of the listed categories."))])
    region = SelectField(
        _l("Region"), choices=_choices(REGIONS, REGION_LABELS, blank=_l("Not stated")),
        default="", validate_choice=False,
        validators=[AnyOf(("",) + REGIONS, message=_l("Choose one of the listed regions."))])
    gender = SelectField(
        _l("Gender (optional)"), choices=_choices(GENDERS, GENDER_LABELS, blank=_l("Not stated")),
        default="", validate_choice=False,
        validators=[AnyOf(("",) + GENDERS, message=_l("Choose one of the listed options."))])
    email = StringField(_l("E-mail (optional, only to tell you about the answer)"), validators=[
        Optional(),
        Length(max=254, message=_l("An e-mail address may be at most %(max)d characters long.")),
        Email(message=_l("This does not look like an e-mail address."))])
    consent = RadioField(
        _l("Publication"), choices=_choices(CONSENTS, CONSENT_LABELS), default="anonymous",
        validate_choice=False,
        validators=[AnyOf(CONSENTS, message=_l("Choose how your comment may be published."))])
    # Hidden from people by CSS; a program filling every field gives itself away.
    website = StringField(_l("Leave this field empty"))

    def submitted_data(self) -> dict:
        """The values, by field name, that the submission service takes."""
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}


class ModerationForm(FlaskForm):
    """Publish, or hide with a reason code and a note."""

    action = StringField(validators=[AnyOf(("publish", "hide"),
                                           message=_l("Choose to publish or to hide."))])
    reason = SelectField(
        _l("Reason"), choices=_choices(HIDE_REASONS, HIDE_REASON_LABELS, blank=_l("Choose…")),
        default="", validate_choice=False,
        validators=[AnyOf(("",) + HIDE_REASONS, message=_l("Choose a listed reason."))])
    note = TextAreaField(_l("Note (for the record)"), validators=[
        Length(max=2000, message=_l("A note may be at most %(max)d characters long."))])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.action.data == "hide" and not self.reason.data:
            self.reason.errors = [_l("Choose the reason for hiding the comment.")]
            return False
        return True
