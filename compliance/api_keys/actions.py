"""The Security Officer's verbs on API keys (the Broker Portal's API keys page)."""

from compliance.actions import Action
from tenants.roles import SECURITY_OFFICER

from .services import api_key_create, api_key_revoke


class ApiKeyCreate(Action):
    """A new key for a login; returns (key, secret). The service writes the audit record."""

    fields = ("user", "name", "scopes", "days", "networks")
    allowed_roles = (SECURITY_OFFICER,)
    refusal = "Only a Security Officer may create API keys."

    def perform(self):
        return api_key_create(
            actor=self.actor,
            user=self.user,
            name=self.name,
            scopes=self.scopes,
            days=self.days,
            networks=self.networks,
            ip=self.ip,
        )


class ApiKeyRevoke(Action):
    fields = ("key",)
    allowed_roles = (SECURITY_OFFICER,)
    refusal = "Only a Security Officer may revoke API keys."

    def perform(self):
        return api_key_revoke(
            actor=self.actor, key=self.key, reason="revoked by a Security Officer", ip=self.ip
        )


class OwnApiKeyCreate(Action):
    """A key a user makes for themself (the security page, after re-authentication); returns
    (key, secret). It acts as its user: never more than the user may do on the screens."""

    fields = ("name", "scopes", "days", "networks")
    networks = None
    refusal = "Sign in to make an API key."

    def perform(self):
        return api_key_create(
            actor=self.actor,
            user=self.actor,
            name=self.name,
            scopes=self.scopes,
            days=self.days,
            networks=self.networks,
            ip=self.ip,
        )


class OwnApiKeyRevoke(Action):
    """A user revokes one of their own keys; anyone else's is the same 404 as none."""

    fields = ("key",)
    refusal = "Sign in to revoke an API key."

    def perform(self):
        from django.http import Http404

        if self.key.user_id != self.actor.pk:
            raise Http404("No such API key.")
        return api_key_revoke(
            actor=self.actor, key=self.key, reason="revoked by its user", ip=self.ip
        )
