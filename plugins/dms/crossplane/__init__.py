"""The Crossplane DMS plugin: O2dms deployments as claims (or composite resources) of a configured XRD."""
