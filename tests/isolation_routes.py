"""How the tenant-isolation harness (tests/test_isolation_harness.py) fills every URL pattern.

HOW TO ADD AN ENTRY (one line per new view with URL arguments):
    "namespace:url_name": fill(account_id="account"),
  - key: the route's full name ("namespace:name"), or for a family of third-party routes a path
    prefix ending in "*" ("broker/images/*"); a name beats a prefix, a longer prefix a shorter one.
  - value: `fill(arg="kind", ...)` names, per URL argument, the kind of object whose id (of the
    OTHER tenant) the harness puts there; `literal("x")` puts a fixed value; positional
    arguments (unnamed regex groups) go as `fill("kind", literal("x"))`.
  - `skip("reason")` only with a reason a reviewer accepts: the route is then not requested.
  - A kind is a seeder in KINDS below: `def seed_<kind>(tenant, marker) -> value` creates one
    object in `tenant` (inside its schema) that shows `marker` wherever a view displays it.
    Add a kind for each new model a URL takes the id of.
Routes without arguments need no entry: the harness requests all of them (with `?account=` and
`?account_id=` set to the other tenant's account as well). Every route is also sent a POST with
the other tenant's ids in the URL and in the body (`post_body` in the harness); POST_SKIP below
names the few that are not, each with its reason. A route with arguments and no entry,
or an argument an entry does not fill, fails the harness, so a new view is covered the day it
is added.
"""

import io
import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

_numbers = itertools.count(1)


def unique_pk() -> int:
    """An id for a seeded row of a tenant-schema table. Such ids repeat across tenant schemas (each
    schema has its own sequence), so "the other tenant's id" could name one of the tenant's own
    rows; ids from here are unique over both tenants and far above the sequences."""
    return 900_000 + next(_numbers)


@dataclass(frozen=True)
class Literal:
    value: str


@dataclass(frozen=True)
class Fill:
    positional: tuple = ()
    named: tuple = ()  # ((argument, kind or Literal), ...)


@dataclass(frozen=True)
class Skip:
    reason: str


def fill(*positional, **named) -> Fill:
    return Fill(positional=positional, named=tuple(sorted(named.items())))


def literal(value) -> Literal:
    return Literal(str(value))


def skip(reason: str) -> Skip:
    assert reason.strip(), "a skipped route needs a reason"
    return Skip(reason)


# --- kinds: one object per tenant, showing the marker -----------------------------------------


def seed_account(tenant, marker):
    from ledger.models import Account

    number = f"ISO{next(_numbers):05d}{tenant.schema_name[-1].upper()}"
    return Account.objects.create(
        tenant=tenant, number=number, title=marker, account_type="individual"
    ).pk


def seed_account_number(tenant, marker):
    from ledger.models import Account

    return Account.objects.get(title=marker.replace("accountnumber", "account")).number


def seed_user(tenant, marker):
    user = get_user_model().objects.create_user(
        username=f"{marker}@example.com",
        email=f"{marker}@example.com",
        first_name=marker,
        last_name=marker,
    )
    return user.pk


def seed_group(tenant, marker):
    return Group.objects.create(name=marker).pk


def _root_page():
    from wagtail.models import Page

    return Page.get_first_root_node()


def seed_page(tenant, marker):
    from wagtail.models import Page

    page = _root_page().add_child(instance=Page(title=marker, slug=marker))
    page.save_revision().publish()
    return page.pk


def seed_revision(tenant, marker):
    from wagtail.models import Page

    page = Page.objects.get(slug=marker.replace("revision", "page"))
    return page.latest_revision_id


def seed_collection(tenant, marker):
    from wagtail.models import Collection

    return Collection.get_first_root_node().add_child(name=marker).pk


def seed_image(tenant, marker):
    from PIL import Image as PILImage
    from wagtail.images.models import Image

    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), "white").save(buffer, "PNG")
    buffer.seek(0)
    image = Image.objects.create(title=marker, file=ImageFile(buffer, name=f"{marker}.png"))
    return image.pk


def seed_document(tenant, marker):
    from wagtail.documents.models import Document

    document = Document(title=marker)
    document.file.save(f"{marker}.txt", ContentFile(marker.encode()), save=False)
    document.save()
    return document.pk


def seed_redirect(tenant, marker):
    from wagtail.contrib.redirects.models import Redirect

    return Redirect.objects.create(old_path=f"/{marker}", redirect_link=f"/{marker}-new").pk


def seed_site(tenant, marker):
    from wagtail.models import Site

    return Site.objects.create(hostname=f"{marker}.invalid", root_page=_root_page()).pk


def seed_reset_uid(tenant, marker):
    user = get_user_model().objects.get(
        username=f"{marker.replace('resetuid', 'user')}@example.com"
    )
    return urlsafe_base64_encode(force_bytes(user.pk))


def seed_reset_token(tenant, marker):
    user = get_user_model().objects.get(
        username=f"{marker.replace('resettoken', 'user')}@example.com"
    )
    return default_token_generator.make_token(user)


def seed_invitation_token(tenant, marker):
    from compliance.services import invitation_create

    user = get_user_model().objects.get(
        username=f"{marker.replace('invitationtoken', 'user')}@example.com"
    )
    return invitation_create(actor=None, user=user, send_email=False)[1]


def seed_application(tenant, marker):
    from onboarding.models import Application

    return Application.objects.create(
        first_name=marker, last_name=marker, email=f"{marker}@x.io"
    ).pk


def seed_message_thread(tenant, marker):
    from django.utils import timezone

    from clientportal.models import MessageThread

    client = get_user_model().objects.get(
        username=f"{marker.replace('messagethread', 'user')}@example.com"
    )
    return MessageThread.objects.create(
        client=client, subject=marker, last_message_at=timezone.now()
    ).pk


def seed_allocation_group(tenant, marker):
    from allocations.models import AllocationGroup
    from ledger.models import Account

    number = f"ISM{next(_numbers):05d}{tenant.schema_name[-1].upper()}"
    master = Account.objects.create(
        tenant=tenant, number=number, title=marker, account_type="master"
    )
    return AllocationGroup.objects.create(name=marker, master=master).pk


def seed_block(tenant, marker):
    from django.utils import timezone

    from allocations.models import AllocationGroup, Block
    from ledger.models import Instrument

    group = AllocationGroup.objects.get(name=marker.replace("block", "allocationgroup"))
    instrument = Instrument.objects.create(
        symbol=marker.upper()[-12:], asset_class="STK", currency="USD"
    )
    return Block.objects.create(
        reference=marker,
        master=group.master,
        instrument=instrument,
        side="BUY",
        trade_date=timezone.now().date(),
        group=group,
    ).pk


def seed_withdrawal(tenant, marker):
    from decimal import Decimal

    from clientportal.models import WithdrawalRequest
    from ledger.models import Account

    client = get_user_model().objects.get(
        username=f"{marker.replace('withdrawal', 'user')}@example.com"
    )
    account = Account.objects.get(title=marker.replace("withdrawal", "account"))
    return WithdrawalRequest.objects.create(
        pk=unique_pk(),
        account=account,
        requested_by=client,
        amount=Decimal(1),
        currency="USD",
        destination=marker,
    ).pk


def seed_webhook(tenant, marker):
    from events.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        url=f"https://{marker}.invalid/hook", description=marker, secret=marker
    ).pk


def seed_deposit_notice(tenant, marker):
    from django.utils import timezone

    from clientportal.models import DepositNotice
    from ledger.models import Account

    number = f"ISD{next(_numbers):05d}{tenant.schema_name[-1].upper()}"
    account = Account.objects.create(
        tenant=tenant, number=number, title=marker, account_type="individual"
    )
    client = get_user_model().objects.create_user(username=f"{marker}-client")
    return DepositNotice.objects.create(
        pk=unique_pk(),
        account=account,
        notified_by=client,
        amount="100.00",
        currency="USD",
        method="wire",
        reference=marker,
        expected_on=timezone.localdate(),
    ).pk


def seed_funding_journal(tenant, marker):
    from django.utils import timezone

    from funding.models import Journal
    from ledger.models import Account

    one, two = (
        Account.objects.create(
            tenant=tenant,
            number=f"ISJ{next(_numbers):05d}{tenant.schema_name[-1].upper()}",
            title=marker,
            account_type="individual",
        )
        for _ in range(2)
    )
    maker = get_user_model().objects.create_user(username=f"{marker}-maker")
    return Journal.objects.create(
        pk=unique_pk(),
        kind="cash",
        status="pending",
        from_account=one,
        to_account=two,
        currency="USD",
        amount="100",
        memo=marker,
        request_key=marker,
        maker=maker,
        created_at=timezone.now(),
    ).pk


def seed_access_review(tenant, marker):
    import datetime as dt

    from compliance.models import AccessReview, AccessReviewLine

    review = AccessReview.objects.create(
        period_label=marker, period_start=dt.date(2026, 1, 1), due_on=dt.date(2026, 3, 31)
    )
    AccessReviewLine.objects.create(
        review=review, kind="role", user_id=1, username=marker, role="Viewer"
    )
    return review.pk


def seed_order(tenant, marker):
    """An open limit order of the tenant's own account, its reason carrying the marker."""
    from django.utils import timezone

    from ledger.models import Account, Instrument
    from trading.models import Order

    number = f"ISR{next(_numbers):05d}{tenant.schema_name[-1].upper()}"
    account = Account.objects.create(
        tenant=tenant, number=number, title=marker, account_type="individual"
    )
    instrument = Instrument.objects.create(
        symbol=f"IO{next(_numbers):05d}", asset_class="STK", currency="USD"
    )
    return Order.objects.create(
        pk=unique_pk(),
        account=account,
        instrument=instrument,
        side="buy",
        order_type="limit",
        quantity="10",
        limit_price="12.50",
        status="accepted",
        reason=marker,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    ).pk


# Seeded in this order (later kinds may use earlier ones' objects of the same tenant).
KINDS = {
    "account": seed_account,
    "account_number": seed_account_number,
    "user": seed_user,
    "group": seed_group,
    "page": seed_page,
    "revision": seed_revision,
    "collection": seed_collection,
    "image": seed_image,
    "document": seed_document,
    "redirect": seed_redirect,
    "site": seed_site,
    "reset_uid": seed_reset_uid,
    "reset_token": seed_reset_token,
    "invitation_token": seed_invitation_token,
    "application": seed_application,
    "message_thread": seed_message_thread,
    "allocation_group": seed_allocation_group,
    "block": seed_block,
    "withdrawal": seed_withdrawal,
    "webhook": seed_webhook,
    "deposit_notice": seed_deposit_notice,
    "funding_journal": seed_funding_journal,
    "access_review": seed_access_review,
    "order": seed_order,
}

# Ids of Wagtail objects every tenant has from its migrations (workflow 1, task 1, ...), and
# arguments that are not ids at all.
ANY_ID = literal(1)
PAGE_MODEL = {"app_label": literal("wagtailcore"), "model_name": literal("page")}

ROUTES = {
    # --- Wagtail admin (the Broker Portal), grouped by family --------------------------------
    "broker/api/main/*": fill(pk="page", action_name=literal("copy")),
    "wagtailadmin_api:documents:detail": fill(pk="document"),
    "wagtailadmin_api:images:detail": fill(pk="image"),
    "broker/pages/*": fill(
        page_id="page",
        parent_page_id="page",
        page_to_move_id="page",
        destination_id="page",
        pk="page",
        revision_id="revision",
        revision_id_a=literal("earliest"),
        revision_id_b=literal("latest"),
        content_type_app_name=literal("wagtailcore"),
        content_type_model_name=literal("page"),
        action_name=literal("approve"),
        task_state_id=ANY_ID,
        task_id=ANY_ID,
        workflow_state_id=ANY_ID,
        **PAGE_MODEL,
    ),
    "wagtailadmin_explore": fill(parent_page_id="page"),
    "wagtailadmin_explore_results": fill(parent_page_id="page"),
    "wagtailadmin_choose_page_child": fill(parent_page_id="page"),
    "wagtail_bulk_action": fill(action=literal("delete"), **PAGE_MODEL),
    "wagtailadmin_tag_model_autocomplete": fill(
        app_name=literal("wagtailimages"), model_name=literal("image")
    ),
    "broker/collections/*": fill(pk="collection", collection_id="collection"),
    "broker/workflows/*": fill(
        pk=ANY_ID,
        page_pk="page",
        workflow_pk=ANY_ID,
        task_id=ANY_ID,
        app_label=literal("wagtailcore"),
        model_name=literal("groupapprovaltask"),
    ),
    "broker/editing-sessions/*": fill(session_id=ANY_ID, object_id="page", **PAGE_MODEL),
    "broker/forms/*": fill(page_id="page"),
    "broker/redirects/*": fill(redirect_id="redirect"),
    "broker/settings/*": fill(
        app_name=literal("wagtailcore"), model_name=literal("page"), pk="page"
    ),
    "broker/documents/*": fill(
        document_id="document", doc_id="document", uploaded_file_id=ANY_ID, pk="document"
    ),
    "broker/images/*": fill(
        image_id="image", uploaded_file_id=ANY_ID, pk="image", filter_spec=literal("original")
    ),
    "broker/sites/*": fill(pk="site"),
    "broker/users/*": fill(pk="user"),
    "broker/groups/*": fill(pk="group"),
    "wagtailadmin_error_test": skip("Wagtail's deliberate 500 page (/broker/failwhale/), no data"),
    "wagtailadmin_password_reset_confirm": fill(uidb64="reset_uid", token="reset_token"),
    # --- Security Officer screens (compliance/wagtail_hooks.py) --------------------------------
    "compliance_admin:user": fill(user_id="user"),
    "compliance_admin:user_act": fill(user_id="user", action=literal("roles")),
    "compliance_admin:review": fill(review_id="access_review"),
    "compliance_admin:review_file": fill(review_id="access_review", fmt=literal("pdf")),
    # --- Wagtail front end -------------------------------------------------------------------
    "wagtaildocs_serve": fill("document", literal("file.txt")),
    "wagtaildocs_serve_direct": fill("document", literal("file.txt")),
    "wagtaildocs_authenticate_with_password": fill(restriction_id=ANY_ID),
    "wagtailcore_authenticate_with_password": fill(page_view_restriction_id=ANY_ID, page_id="page"),
    "wagtail_serve": fill(literal("")),
    "wagtail_serve_preview": fill(literal("")),
    # --- client portal: login steps (compliance/login_views.py) ----------------------------------
    "clientportal:invitation_accept": fill(token="invitation_token"),
    "clientportal:password_reset_confirm": fill(uidb64="reset_uid", token="reset_token"),
    # --- client portal pages ------------------------------------------------------------------
    "clientportal:message_thread": fill(thread_id="message_thread"),
    "clientportal:content_detail": fill(page_id="page"),
    "clientportal:disclosure_accept": fill(page_id="page"),
    "clientportal:order_detail": fill(order_id="order"),
    "clientportal:order_cancel": fill(order_id="order"),
    "clientportal_staff_thread": fill(thread_id="message_thread"),
    "clientportal_staff_withdrawal_decide": fill(request_id=ANY_ID),
    # --- branding ----------------------------------------------------------------------------
    "branding:icon": fill(size=literal(192)),
    # --- allocations (allocations/wagtail_hooks.py) ---------------------------------------------
    "allocations_group": fill(group_id="allocation_group"),
    "allocations_block": fill(block_id="block"),
    "allocations_block_preview": fill(block_id="block"),
    "allocations_block_fill_add": fill(block_id="block"),
    # allocations are made by the engine from fills; id 1 is whatever the tenant has (none here)
    "allocations_allocation": fill(allocation_id=ANY_ID),
    "allocations_book": fill(allocation_id=ANY_ID),
    "allocations_reverse": fill(allocation_id=ANY_ID),
    "allocations_fixml": fill(allocation_id=ANY_ID),
    # --- funding desk (funding/wagtail_hooks.py) -----------------------------------------------
    "funding_deposit_notice": fill(notice_id="deposit_notice"),
    "funding_deposit_notice_credit": fill(notice_id="deposit_notice"),
    "funding_deposit_notice_reject": fill(notice_id="deposit_notice"),
    "funding_journal": fill(journal_id="funding_journal"),
    "funding_journal_approve": fill(journal_id="funding_journal"),
    "funding_journal_reject": fill(journal_id="funding_journal"),
    "funding_journal_reverse": fill(journal_id="funding_journal"),
    # --- allocations API (api/views/allocations.py) --------------------------------------------
    "api:allocations-block-preview": fill(block_id="block"),
    "api:allocations-detail": fill(allocation_id=ANY_ID),
    "api:allocations-book": fill(allocation_id=ANY_ID),
    "api:allocations-reverse": fill(allocation_id=ANY_ID),
    "api:allocations-fixml": fill(allocation_id=ANY_ID),
    "api:allocations-block-fills": fill(block_id="block"),
    # --- API resources (api/urls.py) -----------------------------------------------------------
    "api:accounts-detail": fill(pk="account"),
    "api:accounts-activity": fill(pk="account"),
    "api:accounts-cash": fill(pk="account"),
    "api:accounts-nav": fill(pk="account"),
    "api:accounts-performance": fill(pk="account"),
    "api:accounts-positions": fill(pk="account"),
    "api:accounts-valuation": fill(pk="account"),
    "api:masters-detail": fill(pk="account"),
    "api:withdrawals-detail": fill(pk="withdrawal"),
    "api:withdrawals-approve": fill(pk="withdrawal"),
    "api:withdrawals-reject": fill(pk="withdrawal"),
    "api:threads-detail": fill(pk="message_thread"),
    "api:threads-message": fill(pk="message_thread"),
    "api:webhooks-detail": fill(pk="webhook"),
    "api:webhooks-deliveries": fill(pk="webhook"),
    "api:webhooks-disable": fill(pk="webhook"),
    "api:webhooks-enable": fill(pk="webhook"),
    "api:webhooks-redeliver": fill(pk="webhook", delivery_id=ANY_ID),
    "api:applications-detail": fill(pk="application"),
    "api:applications-act": fill(pk="application"),
    "api:orders-detail": fill(pk="order"),
    "api:orders-cancel": fill(pk="order"),
    "api:desk-journals-detail": fill(pk="funding_journal"),
    "api:desk-journals-approve": fill(pk="funding_journal"),
    "api:desk-journals-reject": fill(pk="funding_journal"),
    "api:desk-journals-reverse": fill(pk="funding_journal"),
    # batches are made from an uploaded file: any id
    "api:journal-batches-detail": fill(pk=ANY_ID),
    # issued statements need rendered files: any id
    "api:statements-download": fill(pk=ANY_ID, fmt=literal("pdf")),
    # --- statements (branding/statements) -- issued statements need rendered files: any id ------
    "branding_statement_run": fill(run_id=ANY_ID),
    "branding_statement_download": fill(statement_id=ANY_ID, fmt=literal("pdf")),
    "statements:download": fill(statement_id=ANY_ID, fmt=literal("pdf")),
    # --- reports rendered on request (branding/statements/report_views.py) ---------------------
    "statements:confirmation": fill(
        account_id="account", trade_date=literal("2026-10-05"), fmt=literal("pdf")
    ),
    "statements:gains": fill(account_id="account", year=literal("2026"), fmt=literal("pdf")),
    "branding_report_confirmation": fill(
        account_id="account", trade_date=literal("2026-10-05"), fmt=literal("pdf")
    ),
    "branding_report_gains": fill(account_id="account", year=literal("2026"), fmt=literal("pdf")),
    "branding_report_performance": fill(account_id="account", fmt=literal("pdf")),
    # --- clients and accounts (desk/wagtail_hooks.py) ---------------------------------------------
    "desk_account": fill(number="account_number"),
    "desk_account_act": fill(account_id="account", action=literal("status")),
    # --- onboarding --------------------------------------------------------------------------
    "onboarding:resume": fill(token=literal("not-a-token")),
    "onboarding:step": fill(slug=literal("identity")),
    "onboarding_admin:detail": fill(application_id="application"),
    "onboarding_admin:document_add": fill(application_id="application"),
    "onboarding_admin:act": fill(application_id="application", action=literal("review")),
    "onboarding_admin:address_change": fill(application_id="application"),
    "onboarding_admin:document": fill(document_id=ANY_ID),
    "onboarding_admin:bulk_detail": fill(bulk_import_id=ANY_ID),
    "onboarding_admin:bulk_report": fill(bulk_import_id=ANY_ID),
}

# Not sent a POST by the harness, each with the reason (they are still requested with GET).
POST_SKIP = {
    # Wagtail's own views, with no id of any object: they fail (500) on a body that is not the
    # chooser's or the import's, before reading anything of a tenant.
    "wagtailadmin_choose_page_external_link": "reads form fields the probe does not send",
    "wagtailredirects:process_import": "needs the upload step's file in the session first",
    # Wagtail deletes the user the id names in the requesting tenant's own schema (ids repeat
    # across schemas); one that withdrawal requests still reference is a ProtectedError (500)
    # inside Wagtail, before anything is written.
    "wagtailusers_users:delete": "deletes a user of the tenant's own schema by id",
}

# POSTs that write the shared ledger (public schema) for the requesting login itself: the
# writes there are allowed, provided no account of the other tenant appears or changes (checked).
POST_OWN_LEDGER = {
    "clientportal:paper_open": "opens the requesting client's own paper account in the ledger",
}

# Never requested by the harness because they end the probing user's session (no arguments).
SESSION_ENDING = {"clientportal:logout", "wagtailadmin_logout"}
