"""VMware vSphere IMS plugin (pyvmomi)."""
