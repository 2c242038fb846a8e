"""The citizen's comment form, the receipt holder's forms and the moderator's forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from ..core.vocab import CATEGORIES, CONSENTS, GENDERS, HIDE_REASONS, REGIONS
from ..forms import Listed, choices_of, language_choices
from ..i18n import current_lang
from ..security import posted_from_this_site
from .receipts import REASON_MAX, ReceiptRefused, reason_text

BODY_MAX = 10_000


class CommentForm(FlaskForm):
    """Fields named as in the URL contract; no field asks for citizenship or an ID.

    No session token: the form stands on pages every reader shares (``consult.security``
    checks where a post comes from instead)."""

    class Meta:
        csrf = False

    body = TextAreaField(_l("Your comment"), validators=[
        DataRequired(message=_l("Please write your comment.")),
        Length(max=BODY_MAX, message=_l("A comment may be at most %(max)d characters long; "
                                        "please shorten it or send it in parts."))])
    language = SelectField(
        _l("Language of your comment"), choices=language_choices, default=current_lang,
        validate_choice=False,
        validators=[Listed(message=_l("Choose one of the listed languages."))])
    author_name = StringField(_l("Your name"), validators=[
        Length(max=200, message=_l("A name may be at most %(max)d characters long."))])
    organisation = StringField(_l("Organisation (if you write on its behalf)"), validators=[
        Length(max=300, message=_l("An organisation's name may be at most %(max)d "
                                   "characters long."))])
    category = SelectField(
        _l("You write as"), choices=choices_of(CATEGORIES),
        default="individual", validate_choice=False,
        validators=[Listed(message=_l("Choose one of the listed categories."))])
    region = SelectField(
        _l("Region"), choices=choices_of(REGIONS, blank=_l("Not stated")),
        default="", validate_choice=False,
        validators=[Listed(message=_l("Choose one of the listed regions."))])
    gender = SelectField(
        _l("Gender (optional)"), choices=choices_of(GENDERS, blank=_l("Not stated")),
        default="", validate_choice=False,
        validators=[Listed(message=_l("Choose one of the listed options."))])
    email = StringField(_l("E-mail (optional, only to tell you about the answer)"), validators=[
        Optional(),
        Length(max=254, message=_l("An e-mail address may be at most %(max)d characters long.")),
        Email(message=_l("This does not look like an e-mail address."))])
    consent = RadioField(
        _l("Publication"), choices=choices_of(CONSENTS), default="anonymous",
        validate_choice=False,
        validators=[Listed(message=_l("Choose how your comment may be published."))])
    # Hidden from people by CSS; a program filling every field gives itself away.
    website = StringField(_l("Leave this field empty"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not posted_from_this_site():
            self.form_errors.append(_l(
                "The form could not be verified: your browser did not confirm that it was "
                "sent from this site. Your text is kept below: please send it again."))
            return False
        return valid

    def submitted_data(self) -> dict:
        """The values, by field name, that the submission service takes."""
        return {name: field.data for name, field in self._fields.items()}


class ModerationForm(FlaskForm):
    """Publish, or hide with a reason code and a note."""

    action = StringField(validators=[AnyOf(("publish", "hide"),
                                           message=_l("Choose to publish or to hide."))])
    reason = SelectField(
        _l("Reason"), choices=choices_of(HIDE_REASONS, blank=_l("Choose…")),
        default="", validate_choice=False,
        validators=[Listed(message=_l("Choose a listed reason."))])
    note = TextAreaField(_l("Note (for the record)"), validators=[
        Length(max=2000, message=_l("A note may be at most %(max)d characters long."))])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.action.data == "hide" and not self.reason.data:
            self.reason.errors = [_l("Choose the reason for hiding the comment.")]
            return False
        return True


# ---------------------------------------------------------------- the receipt holder's forms
# Each confirmation has its own field name: the receipt page shows all three forms, and
# ids must stay unique for their labels.

class WithdrawForm(FlaskForm):
    """Withdraw the comment; it cannot be undone, so it must be confirmed."""

    confirm_withdrawal = BooleanField(
        _l("I withdraw my comment. I understand that this cannot be undone."),
        validators=[DataRequired(message=_l("Tick the box to confirm that you withdraw "
                                            "your comment."))])


class ConsentForm(FlaskForm):
    """Change how the comment may be published."""

    consent = RadioField(
        _l("Publication"), choices=choices_of(CONSENTS), validate_choice=False,
        validators=[Listed(message=_l("Choose how your comment may be published."))])


class EraseForm(FlaskForm):
    """Erase name, organisation and e-mail; it cannot be undone, so it must be confirmed."""

    confirm_erasure = BooleanField(
        _l("Erase my name, organisation and e-mail address. I understand that this cannot "
           "be undone."),
        validators=[DataRequired(message=_l("Tick the box to confirm the erasure."))])


# ---------------------------------------------------------------- staff, on a written request

def request_actions() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose…")),
            SelectChoice("withdraw", _l("Withdraw the comment")),
            SelectChoice("consent", _l("Change the consent to publication")),
            SelectChoice("erase", _l("Erase name, organisation and e-mail"))]


class WrittenRequestForm(FlaskForm):
    """What a commenter asked for in writing, done by staff, with the reason. One per
    comment on the queue page: made with ``prefix=request_prefix(comment_id)``."""

    action = SelectField(
        _l("Requested change"), choices=request_actions, default="", validate_choice=False,
        validators=[DataRequired(message=_l("Choose what the request asks for.")),
                    Listed(message=_l("Choose what the request asks for."))])
    consent = SelectField(
        _l("New consent"), choices=choices_of(CONSENTS, blank=_l("Choose…")), default="",
        validate_choice=False, validators=[Listed(message=_l("Choose a listed consent."))])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Give the reason for this change.")),
        Length(max=REASON_MAX, message=_l("The reason may be at most %(max)d characters "
                                          "long."))])

    def validate_consent(self, field) -> None:
        if self.action.data == "consent" and not field.data:
            raise ValidationError(_l("Choose the consent the request asks for."))

    def validate_reason(self, field) -> None:
        # The service checks the same rule; here it is shown next to the field.
        try:
            reason_text(field.data)
        except ReceiptRefused as refusal:
            raise ValidationError(str(refusal)) from None


def request_prefix(comment_id: int) -> str:
    """Field names (and ids) of one comment's written-request form on the queue page."""
    return f"request-{comment_id}"
