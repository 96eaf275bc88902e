"""Credentials: where a Secret's value lives, encryption at rest, and config blocks that reference secrets.

Keys come from settings.NETWEAVE_SECRETS_KEYS, a list of Fernet keys: the first encrypts, all decrypt
(so a new key is put first, `rotate_all()` re-encrypts, and the old key is dropped afterwards). When the list
is empty a key is derived from SECRET_KEY and a warning says to set NETWEAVE_SECRETS_KEYS.

A plugin type's `config_class` (a DRF serializer) validates an instance's config; the fields named in the type's
`secret_fields` are credentials and are stored in PluginInstance.config as `{"secretRef": "<secret name>"}`.
`validate_config` checks a config block (references count as present values); `resolve_config` returns the
validated config with the referenced secrets' values filled in, for `Plugin.initialize` only.

A secret's value is never logged and never part of an exception message; messages name the secret, its
provider and its reference (variable name or file path) only.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from plugins.discovery import get_plugin_class
from plugins.models import PluginInstance, Secret
from plugins.sdk.base import Plugin
from plugins.sdk.validation import error_paths

logger = logging.getLogger(__name__)


class SecretError(Exception):
    """A secret's value cannot be obtained. The message never contains a value."""

    def __init__(self, secret_name: str, message: str) -> None:
        self.secret_name = secret_name
        super().__init__(f"Secret '{secret_name}': {message}")


_lock = threading.Lock()
_fernet_cache: tuple[tuple[tuple[str, ...], str], MultiFernet] | None = None
_warned_derived_key = False


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from Django's SECRET_KEY (used only when NETWEAVE_SECRETS_KEYS is empty)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"netweave-secrets", info=b"netweave fernet key v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


def _configured_keys() -> tuple[str, ...]:
    keys = getattr(settings, "NETWEAVE_SECRETS_KEYS", None) or []
    if isinstance(keys, str):
        keys = keys.split(",")
    return tuple(k.strip() for k in keys if k and k.strip())


def _fernet() -> MultiFernet:
    global _fernet_cache, _warned_derived_key
    keys = _configured_keys()
    cache_key = (keys, "" if keys else str(settings.SECRET_KEY))
    with _lock:
        if _fernet_cache is not None and _fernet_cache[0] == cache_key:
            return _fernet_cache[1]
        fernets: list[Fernet] = []
        if keys:
            for index, key in enumerate(keys):
                try:
                    fernets.append(Fernet(key.encode("ascii")))
                except (ValueError, UnicodeEncodeError):
                    raise ImproperlyConfigured(
                        f"NETWEAVE_SECRETS_KEYS[{index}] is not a valid Fernet key "
                        "(32 url-safe base64-encoded bytes; generate one with "
                        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
                    ) from None
        else:
            if not _warned_derived_key:
                logger.warning(
                    "NETWEAVE_SECRETS_KEYS is not set: encrypted secrets use a key derived from SECRET_KEY. "
                    "Set NETWEAVE_SECRETS_KEYS to a list of Fernet keys (the first encrypts) so that changing "
                    "SECRET_KEY does not make stored secrets unreadable."
                )
                _warned_derived_key = True
            fernets.append(Fernet(derive_key(str(settings.SECRET_KEY))))
        multi = MultiFernet(fernets)
        _fernet_cache = (cache_key, multi)
        return multi


def encrypt(value: str) -> str:
    """Ciphertext (a Fernet token, text) of a value, with the first key."""
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, owner: str = "?") -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretError(
            owner,
            "the stored value cannot be decrypted with the configured NETWEAVE_SECRETS_KEYS "
            "(was it encrypted with a key that is no longer listed?)",
        ) from None


def set_secret_value(secret: Secret, value: str) -> Secret:
    """Store `value` in `secret`, encrypted at rest: the secret becomes provider `encrypted`. Saves the row."""
    if not isinstance(value, str):
        raise TypeError(f"Secret '{secret.name}': the value must be a string")
    secret.provider = Secret.Provider.ENCRYPTED
    secret.reference = ""
    secret.ciphertext = encrypt(value)
    secret.save()
    return secret


def resolve(secret: Secret) -> str:
    """The secret's value, read from where its provider says. Raises SecretError (naming no value)."""
    provider = secret.provider
    if provider == Secret.Provider.ENV:
        variable = secret.reference.strip()
        if not variable:
            raise SecretError(secret.name, "provider is env but no environment variable name is set")
        try:
            return os.environ[variable]
        except KeyError:
            raise SecretError(secret.name, f"environment variable {variable} is not set") from None
    if provider == Secret.Provider.FILE:
        path = secret.reference.strip()
        if not path:
            raise SecretError(secret.name, "provider is file but no file path is set")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretError(secret.name, f"cannot read file {path}: {exc.strerror or type(exc).__name__}") from None
        except UnicodeDecodeError:
            raise SecretError(secret.name, f"file {path} is not UTF-8 text") from None
        return text.removesuffix("\n").removesuffix("\r")
    if provider == Secret.Provider.ENCRYPTED:
        if not secret.ciphertext:
            raise SecretError(secret.name, "no value has been stored")
        return decrypt(secret.ciphertext, owner=secret.name)
    raise SecretError(secret.name, f"unknown provider '{provider}'")


def rotate_all() -> int:
    """Re-encrypt every encrypted secret with the first key. Returns how many rows were rewritten."""
    fernet = _fernet()
    count = 0
    with transaction.atomic():
        for secret in (
            Secret.objects.select_for_update().filter(provider=Secret.Provider.ENCRYPTED).exclude(ciphertext="")
        ):
            try:
                token = fernet.rotate(secret.ciphertext.encode("ascii")).decode("ascii")
            except (InvalidToken, UnicodeError):
                raise SecretError(
                    secret.name, "cannot be decrypted with any configured key; nothing was rotated"
                ) from None
            Secret.objects.filter(pk=secret.pk).update(ciphertext=token)
            count += 1
    logger.info("Re-encrypted %d secrets with the current first key", count)
    return count


# -- config blocks and their secret references

SECRET_REF_KEY = "secretRef"
CONFIG_KEY = "config"  # the error key for problems with the config block as a whole


class ConfigError(Exception):
    """A plugin instance's config is invalid. `errors` maps a config key (a path as plugins.sdk.validation spells
    it: dotted for nested keys, [index] for list items, "config" for the block as a whole) to its problems.
    Messages never contain a credential's value."""

    def __init__(self, instance_name: str, errors: Mapping[str, list[str]], *, plugin_type: str = "") -> None:
        self.instance_name = instance_name
        self.plugin_type = plugin_type
        self.errors: dict[str, list[str]] = {key: list(messages) for key, messages in errors.items()}
        label = f"Plugin instance '{instance_name}'" if instance_name else "Plugin config"
        if plugin_type:
            label += f" ({plugin_type})"
        problems = "; ".join(
            f"{key if key == CONFIG_KEY else f'{CONFIG_KEY}.{key}'}: {message}"
            for key, messages in self.errors.items()
            for message in messages
        )
        super().__init__(f"{label} has invalid config: {problems}")


def secret_name_for(instance_name: str, field_name: str) -> str:
    """The Secret row holding an instance's credential field: "<instance>-<field>" made a valid slug (lowercase,
    at most 63 characters; a long name keeps a hash suffix so two instances never collide after truncation).
    Config import and the admin both name the secrets they create this way."""
    name = re.sub(r"[^a-z0-9\-_.]+", "-", f"{instance_name}-{field_name}".lower()).strip("-_.")
    if len(name) > 63:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[:54].rstrip('-_.')}-{digest}"
    return name


def secret_ref(name: str) -> dict[str, str]:
    """The config value that references a Secret row by name."""
    return {SECRET_REF_KEY: name}


def is_secret_ref(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {SECRET_REF_KEY}
        and isinstance(value[SECRET_REF_KEY], str)
        and bool(value[SECRET_REF_KEY])
    )


def _plugin_label(plugin_class: type[Plugin]) -> str:
    return f"{getattr(plugin_class, 'category', '?')}.{getattr(plugin_class, 'name', '?')}"


def _run_serializer(
    plugin_class: type[Plugin],
    data: dict[str, Any],
    *,
    instance_name: str,
    refs: Mapping[str, str],
    errors: dict[str, list[str]],
    secret_values: list[str],
) -> dict[str, Any]:
    serializer = plugin_class.config_class(
        data=data,
        context={"instance_name": instance_name, "secret_refs": frozenset(refs), "plugin_class": plugin_class},
    )
    for key in refs:
        # A referenced credential is present; its value is checked when it is resolved, at initialize.
        serializer.fields[key].required = False
    if not serializer.is_valid():
        structural = set(errors)  # a key already reported (bad reference, unknown key) is not also "required"
        for key, message in error_paths(serializer.errors, root=CONFIG_KEY, hide=secret_values):
            if key not in structural:
                errors.setdefault(key, []).append(message)
    if errors:
        raise ConfigError(instance_name, errors, plugin_type=_plugin_label(plugin_class))
    result = dict(serializer.validated_data)
    for key, name in refs.items():
        result[key] = secret_ref(name)
    return result


def _split_config(
    plugin_class: type[Plugin], raw: object, *, instance_name: str, require_refs: bool
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """Separate secret references from plain values, collecting structural problems."""
    errors: dict[str, list[str]] = {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            instance_name,
            {CONFIG_KEY: [f"Must be a mapping of keys to values, not {type(raw).__name__}."]},
            plugin_type=_plugin_label(plugin_class),
        )
    known = list(plugin_class.config_class().fields)
    secret_fields = set(plugin_class.secret_fields)
    data: dict[str, Any] = {}
    refs: dict[str, str] = {}
    for key, value in raw.items():
        key = str(key)
        if key not in known:
            errors[key] = [
                f"Unknown key for plugin type {_plugin_label(plugin_class)}. "
                f"Known keys: {', '.join(known) if known else 'none (this type takes no config)'}."
            ]
            continue
        if isinstance(value, Mapping) and SECRET_REF_KEY in value:
            if key not in secret_fields:
                errors[key] = ["A secretRef is only allowed for credential fields of this plugin type."]
            elif not is_secret_ref(value):
                errors[key] = ["A secret reference must be {secretRef: <secret name>} and nothing else."]
            else:
                refs[key] = value[SECRET_REF_KEY]
            continue
        if key in secret_fields and require_refs and value is not None:
            errors[key] = ["This is a credential: store it as a Secret and reference it with {secretRef: <name>}."]
            continue
        data[key] = value
    return data, refs, errors


def validate_config(
    plugin_class: type[Plugin],
    raw: Mapping[str, Any],
    *,
    instance_name: str = "",
    check_refs: bool = True,
    require_refs: bool = False,
) -> dict[str, Any]:
    """Validate a config block with the type's config class and return the validated values.

    A secret field may hold `{"secretRef": name}` (counted as present; with `check_refs` the Secret must exist)
    or, unless `require_refs`, a literal value (validated like any other; never echoed in messages).
    Unknown keys are errors. The serializer's context carries `secret_refs`: the fields given as references,
    which its object-level `validate()` does not see. Raises ConfigError listing every problem.
    """
    data, refs, errors = _split_config(plugin_class, raw, instance_name=instance_name, require_refs=require_refs)
    if check_refs and refs:
        existing = set(Secret.objects.filter(name__in=set(refs.values())).values_list("name", flat=True))
        for key, name in refs.items():
            if name not in existing:
                errors.setdefault(key, []).append(f"Secret '{name}' does not exist.")
    literal_secrets = [str(v) for k, v in data.items() if k in plugin_class.secret_fields and v is not None]
    return _run_serializer(
        plugin_class, data, instance_name=instance_name, refs=refs, errors=errors, secret_values=literal_secrets
    )


def resolve_config(instance: PluginInstance) -> dict[str, Any]:
    """The instance's validated config with every secret reference replaced by its value (for initialize only).

    Raises ConfigError (invalid config, missing Secret row) or SecretError (value unavailable)."""
    plugin_class = get_plugin_class(instance.category, instance.plugin_type)
    data, refs, errors = _split_config(plugin_class, instance.config, instance_name=instance.name, require_refs=True)
    found = {s.name: s for s in Secret.objects.filter(name__in=set(refs.values()))}
    for key, name in refs.items():
        if name not in found:
            errors.setdefault(key, []).append(f"Secret '{name}' does not exist.")
    if errors:
        raise ConfigError(instance.name, errors, plugin_type=_plugin_label(plugin_class))
    values = {key: resolve(found[name]) for key, name in refs.items()}
    return _run_serializer(
        plugin_class,
        {**data, **values},
        instance_name=instance.name,
        refs={},
        errors={},
        secret_values=list(values.values()),
    )


__all__ = [
    "SECRET_REF_KEY",
    "ConfigError",
    "SecretError",
    "decrypt",
    "derive_key",
    "encrypt",
    "is_secret_ref",
    "resolve",
    "resolve_config",
    "rotate_all",
    "secret_name_for",
    "secret_ref",
    "set_secret_value",
    "validate_config",
]
