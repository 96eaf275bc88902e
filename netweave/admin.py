"""The admin site: netweave's name on it, "View site" leading to the API documentation (the site has no home
page of its own), and the registrations of the netweave app's own models (API tokens, audit log)."""

from django.contrib import admin

from netweave.security import admin as security_admin  # noqa: F401 - registers the ModelAdmins

admin.site.site_header = "netweave administration"
admin.site.site_title = "netweave"
admin.site.index_title = "O-Cloud gateway: inventory, deployments, plugins and routing"
admin.site.site_url = "/api/docs/"
