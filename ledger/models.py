from django.db import models
from django.db.models import Q


class Account(models.Model):
    """A brokerage account in the shared books, owned by one tenant.

    Masters (advisor masters, `F…`) form a tree with their sub-accounts and hold no positions of
    their own. Platform accounts (clearing, fees, FX) have no tenant and take the other side of
    postings.
    """

    class Type(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        JOINT = "joint", "Joint"
        IRA = "ira", "IRA"
        ENTITY = "entity", "Entity"
        MASTER = "master", "Advisor master"
        SUB = "sub", "Sub-account"
        PLATFORM = "platform", "Platform"

    class MarginType(models.TextChoices):
        CASH = "cash", "Cash"
        REG_T = "reg_t", "Reg T margin"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESTRICTED = "restricted", "Restricted"
        CLOSED = "closed", "Closed"

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="accounts", null=True, blank=True
    )
    number = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    account_type = models.CharField(max_length=16, choices=Type.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="subs"
    )
    base_currency = models.CharField(max_length=3, default="USD")
    margin_type = models.CharField(
        max_length=8, choices=MarginType.choices, default=MarginType.CASH
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        # Object permissions granted per tenant user with django-guardian (view_account is
        # Django's default): trade, fund (deposits/withdrawals/transfers) and report.
        permissions = [
            ("trade_account", "Can trade in the account"),
            ("fund_account", "Can move money in and out of the account"),
            ("report_account", "Can run reports and statements on the account"),
        ]
        indexes = [models.Index(fields=["tenant", "number"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_type="platform") | Q(tenant__isnull=False),
                name="account_client_has_tenant",
            ),
            models.CheckConstraint(
                condition=~Q(account_type="sub") | Q(parent__isnull=False),
                name="account_sub_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
