from django.contrib import admin

from .models import Account


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
