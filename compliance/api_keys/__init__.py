"""API keys of a tenant's people and programs: django-rest-knox tokens (only a SHA-512 digest is
stored; the key is shown once), with a name, scopes, an expiry, an optional IP allow-list and
the second factor its user had confirmed when it was made.

A key never does more than its user could do in the UI: every endpoint checks the user's own
permissions and grants, and the key's scopes narrow them further (`api.permissions`). A key
stops working when it expires, is revoked, or its user is deactivated, locked out, has their
roles changed, their password reset or their second factor reset (those services revoke the
user's keys, and authentication checks each condition again).
"""
