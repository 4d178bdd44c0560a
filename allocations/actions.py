"""Staff verbs of allocations (see compliance.actions for how an Action works): capture a block
or one more fill, preview, book and reverse an allocation, create and change a group. The
Broker Portal screens and the REST API execute the same Actions. Who may act is who may trade
in the accounts: the services check the trade grant (`trade_check`, a PermissionDenied) and the
allocation's state (AllocationRefused, a ValidationError), and write the audit records."""

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


class AllocationsAction(Action):
    """Passes its fields, the actor and the tenant to the service named `service`."""

    service = ""
    actor_keyword = "actor"

    def perform(self):
        values = {name: getattr(self, name) for name in self.fields}
        call = getattr(services, self.service)
        return call(**{self.actor_keyword: self.actor}, tenant=self.tenant, **values)


class AllocationPreview(AllocationsAction):
    fields = ("block", "group")
    group = None
    actor_keyword = "user"
    service = "allocation_preview"


class AllocationBook(AllocationsAction):
    fields = ("allocation",)
    actor_keyword = "user"
    service = "allocation_book"


class AllocationReverse(AllocationsAction):
    fields = ("allocation",)
    actor_keyword = "user"
    service = "allocation_reverse"


class GroupCreate(AllocationsAction):
    fields = ("master", "name", "method", "step", "pct", "members")
    service = "group_create"


class GroupUpdate(AllocationsAction):
    fields = ("group", "name", "method", "step", "pct", "members")
    service = "group_update"
