"""The kubernetes IMS plugin (see README.md)."""
