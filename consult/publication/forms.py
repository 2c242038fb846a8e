"""The admin's publishing buttons."""
from flask_wtf import FlaskForm


class PublishForm(FlaskForm):
    """Publishing and unpublishing are single buttons: the form only carries the CSRF token."""
