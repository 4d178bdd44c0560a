from django.contrib import admin

from .models import Account, BrokerAccountMapping


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "tenant",
        "account_type",
        "base_currency",
        "margin_type",
        "status",
    )
    list_filter = ("account_type", "margin_type", "status", "tenant")
    search_fields = ("number", "title")
    # An account's owner and place in a master's tree are set when it is opened (onboarding,
    # ledger services); changing either here would hand one tenant's books to another.
    readonly_fields = ("tenant", "parent")


@admin.register(BrokerAccountMapping)
class BrokerAccountMappingAdmin(admin.ModelAdmin):
    """The carrying broker's account ids (IBKR Flex `accountId`) of ledger accounts, which the
    Flex import finds statements' accounts by."""

    list_display = ("broker_account_id", "account", "created_at")
    search_fields = ("broker_account_id", "account__number")
    raw_id_fields = ("account",)
