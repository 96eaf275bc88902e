"""The Flux DMS plugin: deployments as Flux GitRepository + Kustomization objects (README.md here)."""
