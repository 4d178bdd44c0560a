"""drf-spectacular: only /api/v1/ in the schema, and how API keys authenticate."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_api_paths(endpoints, **kwargs):
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "compliance.api_keys.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key: bpk_..."}
