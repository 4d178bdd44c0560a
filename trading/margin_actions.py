"""The staff's verbs on margin calls as Actions (`compliance.actions`): the Broker Portal and
the API call them, each with its permission check and audit record."""

from __future__ import annotations

from compliance.actions import Action
from tenants.roles import COMPLIANCE_OFFICER

from .margin_monitor import margin_call_liquidation_confirm


class MarginCallLiquidationConfirm(Action):
    """Confirm the liquidation listed on an open margin call (FINRA Rule 3110 supervision: a
    compliance officer decides; the sales go out as closing orders)."""

    fields = ("call_id",)
    allowed_roles = (COMPLIANCE_OFFICER,)
    staff_only = True
    refusal = "Only the firm's compliance officers confirm a margin call's liquidation."

    def perform(self):
        return margin_call_liquidation_confirm(
            actor=self.actor, tenant=self.tenant, call_id=self.call_id
        )
