"""Security for the O2 APIs and the admin: who is calling (authentication), what they may do (one central
policy), how often (throttling), and a record of every write and every denial (audit).

The pieces are wired through settings only (REST_FRAMEWORK, MIDDLEWARE, AUTHENTICATION_BACKENDS), so an API
view added later is covered without touching it; see docs/security.md and docs/decisions/0006-authorization.md.
"""
