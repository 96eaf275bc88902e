"""The mock DMS plugin: a simulated Helm-like deployment engine with its state in a SQLite file."""
