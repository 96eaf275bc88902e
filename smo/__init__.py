"""SMO integration: northbound inventory and event sync through SMO plugins (plugins.sdk.smo), driven by the
change log; the SMO North API (workflows, service models, policies) routed to SMO plugin instances."""
