"""The Helm DMS plugin: deployments as Helm releases, driven through a pinned `helm` CLI."""
