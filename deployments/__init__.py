"""O2dms: deployment packages, deployments and lifecycle operations, driven through DMS plugins.

The models and API arrive with the O2dms issue; the DMS plugin contract is already in plugins.sdk.dms."""
