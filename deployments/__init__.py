"""O2dms: deployment packages (NfDeploymentDescriptor), deployments (NfDeployment) and the lifecycle operations
that change them, driven through DMS plugins. See docs/o2-api.md and docs/decisions/0005-dms-routing.md."""
