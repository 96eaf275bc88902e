"""Admin pages for API tokens and the audit log.

A token's secret is shown once, in the message after it is created (or re-issued); the admin stores and shows
only its key and a hash. The audit log is read-only for everybody: rows are written by netweave, never edited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from netweave.models import ApiToken, AuditEvent
from netweave.security import tokens
from netweave.security.network import parse_networks
from netweave.security.roles import ROLE_CHOICES


class ApiTokenForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    allowed_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address or CIDR per line (e.g. 10.0.0.0/8). Empty: any source address.",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "roles", "write_enabled", "allowed_networks", "expires", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_networks"] = "\n".join(self.instance.allowed_networks)

    def clean_allowed_networks(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["allowed_networks"].splitlines() if line.strip()]
        try:
            return [str(network) for network in parse_networks(lines)]
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "key_shown", "roles_shown", "write_enabled", "expires", "last_used", "user"]
    list_filter = ["write_enabled"]
    search_fields = ["name", "key"]
    readonly_fields = ["key_shown", "created", "last_used"]
    actions = ["reissue"]

    @admin.display(description="key")
    def key_shown(self, obj: ApiToken) -> str:
        return f"nwt_{obj.key}…" if obj.key else "(assigned when saved)"

    @admin.display(description="roles")
    def roles_shown(self, obj: ApiToken) -> str:
        return ", ".join(obj.roles)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            tokens.forget(obj)
            return
        full = tokens.assign_secret(obj)
        self._show_once(request, obj, full)

    @admin.action(description="Re-issue the selected tokens (the old secrets stop working)")
    def reissue(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            tokens.forget(token)
            self._show_once(request, token, tokens.assign_secret(token))

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        tokens.forget(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            tokens.forget(token)
        super().delete_queryset(request, queryset)

    def _show_once(self, request: HttpRequest, token: ApiToken, full: str) -> None:
        messages.warning(
            request,
            f"Token for '{token.name}': {full} — copy it now, it is not stored and will not be shown again.",
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["time", "outcome", "status", "method", "path", "identity", "roles", "source_address"]
    list_filter = ["outcome", "auth_method", "method"]
    search_fields = ["identity", "request_id", "path", "source_address"]
    date_hierarchy = "time"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
