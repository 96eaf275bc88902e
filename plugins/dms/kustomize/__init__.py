"""The kustomize DMS plugin: kustomization archives rendered by the real kustomize CLI and server-side applied."""
