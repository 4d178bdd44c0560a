"""Client downloads of issued statements (the client portal lists them via `statements_for`)."""

from django.contrib.auth.decorators import login_required

from branding.statements.selectors import access_issued_statement
from branding.statements.staff_views import statement_file_response


@login_required
def statement_download(request, statement_id: int, fmt: str):
    statement = access_issued_statement(
        user=request.user, tenant=request.tenant, statement_id=statement_id, need="view"
    )
    return statement_file_response(statement, fmt)
