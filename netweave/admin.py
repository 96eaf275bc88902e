"""Admin registrations of the netweave app's own models (API tokens, audit log)."""

from netweave.security import admin as security_admin  # noqa: F401 - registers the ModelAdmins
