"""What the GitOps DMS plugins (argocd, flux) share on top of kubeobjects.py: their packages are git references
(repository, path in it, revision) kept as small JSON files, since the GitOps engine fetches the repository
itself and netweave never does."""

from __future__ import annotations

from collections.abc import Callable

from plugins.dms.argocd.mapping import PACKAGE_TYPE, package_native_id, reference
from plugins.dms.kubeobjects import JsonPackageFiles
from plugins.sdk.dms import DeploymentPackageUpload
from plugins.sdk.errors import InvalidRequest


def add_reference(
    packages: JsonPackageFiles,
    upload: DeploymentPackageUpload,
    engine: str,
    check: Callable[[DeploymentPackageUpload], None] | None = None,
) -> tuple[str, dict[str, str]]:
    """Keep the git reference `upload` names: its native id and the reference kept. `engine` (Argo CD, Flux)
    names the plugin in messages; an upload of another type or with content is refused, then `check` may refuse
    it further (InvalidRequest naming the field)."""
    if upload.package_type != PACKAGE_TYPE:
        raise InvalidRequest(
            f"{engine} deploys '{PACKAGE_TYPE}' references, not '{upload.package_type}'.", field="packageType"
        )
    if upload.content:
        raise InvalidRequest(
            f"{engine} packages are git references (artifactRepoUrl, artifactName = path, version = revision), "
            "not archives.",
            field="chart",
        )
    if check is not None:
        check(upload)
    ref = reference(upload.repository_url, upload.name, upload.version)
    native_id = package_native_id(ref["repoURL"], ref["path"], ref["targetRevision"])
    packages.add(native_id, ref, f"{ref['repoURL']} {ref['path']}@{ref['targetRevision']} is already a package here.")
    return native_id, ref
