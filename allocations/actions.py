"""Staff verbs of block capture (see compliance.actions for how an Action works). Who may act
is who may trade in the block's master: the services check the trade grant (`trade_check`)
and write the audit records."""

from allocations import services
from compliance.actions import Action


class BlockCapture(Action):
    """A block executed in a master with its fills, entered by hand, all or nothing."""

    fields = ("master", "instrument", "side", "trade_date", "fills", "reference", "group")
    reference = ""
    group = None
    staff_only = True

    def perform(self):
        return services.block_capture(
            actor=self.actor,
            tenant=self.tenant,
            master=self.master,
            instrument=self.instrument,
            side=self.side,
            trade_date=self.trade_date,
            fills=self.fills,
            reference=self.reference,
            group=self.group,
        )


class BlockFillAdd(Action):
    """One more fill of a block, booked in its master."""

    fields = (
        "block",
        "execution_id",
        "quantity",
        "price",
        "executed_at",
        "commission",
        "fees",
    )
    staff_only = True

    def perform(self):
        return services.block_fill_add(
            actor=self.actor,
            tenant=self.tenant,
            block=self.block,
            execution_id=self.execution_id,
            quantity=self.quantity,
            price=self.price,
            executed_at=self.executed_at,
            commission=self.commission,
            fees=self.fees,
        )
