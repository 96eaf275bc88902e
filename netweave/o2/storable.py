"""Values the database can store: no NUL characters, no text longer than its column.

PostgreSQL refuses U+0000 in text and jsonb and refuses a value longer than a varchar column; SQLite stores
both silently. Either way a request that carries such a value must be a 400 naming the field, the same on
both databases, never a 500. One check, `storable_problems`, serves every way in:

- `pre_save` of every netweave model (connected in NetweaveConfig.ready): an API write raises
  `UnstorableValue`, a 400 ProblemDetails whose `field` is the API (camelCase) name of the model field;
- `StorableFormMixin`, added to the form of every registered ModelAdmin (also in ready()): the admin shows
  the problem on the form field instead of failing on save.

The JSON parsers refuse NUL earlier (netweave/o2/parsers.py), with the exact path inside the body; this is
the net that also covers multipart fields, values derived from uploads (chart metadata) and the admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models.signals import pre_save

from netweave.o2.parsers import nul_paths
from netweave.o2.problems import BadRequest

APPS = frozenset({"netweave", "plugins", "inventory", "deployments", "smo"})


def api_name(attname: str) -> str:
    """The camelCase name the O2 API uses for a snake_case model field (global_location_id -> globalLocationId)."""
    head, *rest = attname.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def storable_problems(instance: models.Model) -> Iterator[tuple[str, str]]:
    """(model field name, what is wrong) for every value of `instance` the database cannot store."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if isinstance(value, str):
            if "\x00" in value:
                yield field.name, "holds a NUL character (\\u0000), which is not accepted"
            elif isinstance(field, models.CharField) and field.max_length and len(value) > field.max_length:
                yield field.name, f"is {len(value)} characters long; the limit is {field.max_length}"
        elif isinstance(field, models.JSONField) and value is not None:
            for path in nul_paths(value):
                inner = "" if path == "body" else f" (at {path})"
                yield field.name, f"holds a NUL character (\\u0000){inner}, which is not accepted"
                break


class UnstorableValue(BadRequest):
    """A value the database cannot store: 400 naming the API field."""


def refuse_unstorable(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or sender._meta.app_label not in APPS:
        return
    for name, problem in storable_problems(instance):
        field = api_name(name)
        raise UnstorableValue(f"'{field}' {problem}.", field=field)


class StorableFormMixin(forms.ModelForm):
    """Admin forms: report a value the database cannot store on its form field (see the module docstring)."""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        for name, problem in storable_problems(self.instance):
            self.add_error(name if name in self.fields else None, f"This value {problem}.")


def connect() -> None:
    """Wire both checks: the pre_save guard and the admin form mixin on every registered ModelAdmin."""
    pre_save.connect(refuse_unstorable, dispatch_uid="netweave.o2.storable")
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        form = model_admin.form
        if not issubclass(form, StorableFormMixin):
            model_admin.form = type(form.__name__, (StorableFormMixin, form), {"__module__": form.__module__})
