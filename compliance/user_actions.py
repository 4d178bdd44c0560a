"""The Security Officer's verbs on users, grants, lockouts and settings (see compliance.actions).
Anyone else gets 403. The services write the audit records."""

from compliance import services
from compliance.access import SECURITY_OFFICER_REFUSAL
from compliance.actions import Action
from tenants.roles import SECURITY_OFFICER


class SecurityOfficerAction(Action):
    allowed_roles = (SECURITY_OFFICER,)
    refusal = SECURITY_OFFICER_REFUSAL


class StaffUserCreate(SecurityOfficerAction):
    """A staff login with its roles, and the invitation e-mail that lets the person set a
    password: both or neither."""

    fields = ("email", "first_name", "last_name", "roles", "base_url")

    def perform(self):
        user = services.staff_user_create(
            actor=self.actor,
            ip=self.ip,
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            roles=self.roles,
        )
        services.invitation_create(actor=self.actor, user=user, ip=self.ip, base_url=self.base_url)
        return user


class UserAction(SecurityOfficerAction):
    fields = ("user",)


class UserRolesSet(UserAction):
    fields = ("user", "roles")

    def perform(self):
        return services.user_roles_set(
            actor=self.actor, user=self.user, roles=self.roles, ip=self.ip
        )


class GrantAdd(UserAction):
    fields = ("user", "accounts", "perms")
    change = staticmethod(services.grant_add)

    def perform(self):
        return self.change(
            actor=self.actor,
            user=self.user,
            accounts=self.accounts,
            perms=self.perms,
            ip=self.ip,
            tenant=self.tenant,
        )


class GrantRemove(GrantAdd):
    change = staticmethod(services.grant_remove)


class UserDeactivate(UserAction):
    def perform(self):
        return services.user_deactivate(actor=self.actor, user=self.user, ip=self.ip)


class UserMakeViewOnly(UserAction):
    def perform(self):
        return services.user_make_view_only(actor=self.actor, user=self.user, ip=self.ip)


class User2faReset(UserAction):
    def perform(self):
        return services.user_2fa_reset(actor=self.actor, user=self.user, ip=self.ip)


class InvitationSend(UserAction):
    fields = ("user", "base_url")

    def perform(self):
        return services.invitation_create(
            actor=self.actor, user=self.user, ip=self.ip, base_url=self.base_url
        )


class LockoutUnlock(SecurityOfficerAction):
    fields = ("username",)

    def perform(self):
        return services.lockout_unlock(actor=self.actor, username=self.username, ip=self.ip)


class SecuritySettingsUpdate(SecurityOfficerAction):
    fields = ("changes",)

    def perform(self):
        return services.security_settings_update(actor=self.actor, ip=self.ip, **self.changes)


class AccessReviewOpen(SecurityOfficerAction):
    """Open the review of the current period (idempotent: the open one if it exists)."""

    def perform(self):
        from compliance.services.access_reviews import access_review_open

        return access_review_open(tenant=self.tenant)


class AccessReviewSign(SecurityOfficerAction):
    """Record every line's keep or revoke, carry out the revocations and sign the review."""

    fields = ("review", "decisions")

    def perform(self):
        from compliance.services.access_reviews import access_review_sign

        return access_review_sign(
            review=self.review,
            actor=self.actor,
            decisions=self.decisions,
            tenant=self.tenant,
            ip=self.ip,
        )
