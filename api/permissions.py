"""Scopes of API keys. A call with a key needs `read` to read and the view's `write_scope`
(trade, fund or admin) to write; a session (the UI's own calls) is limited by the user's
permissions alone. Neither ever adds a right the user does not have."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from compliance.models import ApiKey


class KeyScopes(BasePermission):
    message = "This API key does not have the scope for this call."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        if request.method in SAFE_METHODS:
            needed = "read"
        else:
            needed = getattr(view, "write_scope", "admin")
        return needed in key.scopes


def write_scope(scope: str):
    """Class decorator naming the scope a view's writes need."""

    def decorate(cls):
        cls.write_scope = scope
        return cls

    return decorate
