"""Staff accounts: sign-in, roles, users and the audit log."""
