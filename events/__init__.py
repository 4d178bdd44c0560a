"""Events of a tenant for its programs: a transactional outbox (one row written in the same
transaction as the change it reports), delivered as signed webhooks and read as a resumable
stream (`/api/v1/events/`)."""
