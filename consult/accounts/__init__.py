from . import auth  # noqa: F401  (binds the user loader)
