"""The REST API of a tenant's host under /api/v1/: thin views over the same selectors, access
helpers and services as the Broker Portal and client portal screens."""
