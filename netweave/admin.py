"""Admin registrations of the netweave app's own models (API tokens, audit log). The site itself (sections by
task, "View site", global search) is netweave/admin_site.py."""

from netweave.security import admin as security_admin  # noqa: F401 - registers the ModelAdmins
