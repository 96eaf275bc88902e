"""The Azure AKS IMS plugin (plugins/ims/azure/README.md)."""
