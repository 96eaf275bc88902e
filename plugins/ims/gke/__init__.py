"""The GKE IMS plugin: GKE node pools, their Compute Engine VMs and machine types (see README.md)."""
