"""Models of the branding app, one module per subdomain."""

from .brand import Brand  # noqa: F401
from .pages import AnnouncementPage, DisclosurePage, FAQPage  # noqa: F401
from .statement_models import (  # noqa: F401
    IssuedStatement,
    StatementDelivery,
    StatementFailure,
    StatementRun,
)
