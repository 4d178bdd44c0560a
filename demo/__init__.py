"""The demo: two tenants with one staff login per role, clients with accounts in the shared
ledger, brands, applications, allocations and statements, seeded by `manage.py brokerportal demo`.

Development and test only (DEMO_ALLOWED). The apps never import this package; it calls their
services.
"""
