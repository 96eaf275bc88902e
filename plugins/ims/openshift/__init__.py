"""The openshift IMS plugin (see README.md)."""
