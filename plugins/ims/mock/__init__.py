"""The mock IMS plugin: a simulated multi-site O-Cloud in a SQLite state file. See README.md."""
