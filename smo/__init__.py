"""SMO integration: northbound inventory and event sync through SMO plugins (plugins.sdk.smo).

Its models and tasks arrive with the SMO integration work."""
