"""django-tenants' PostgreSQL backend, which also tells the database whose data the connection
works on.

django-tenants switches tenants by `SET search_path` before the first statement after a switch
(`_handle_search_path`). The ledger's row-level security (ledger migration 0014) must not take
its tenant from the search path: SQL may change the search path. In the same statement the
backend therefore sets `brokerportal.tenant` to the schema it selected: a tenant's schema name,
or `public` for the platform. The policies read only that setting; it follows the search path
exactly (set together, cached together, re-issued together after a rollback), and the
statement still starts with `SET search_path`, so query counts and filters are unchanged.

The setting is not a secret: SQL that may run arbitrary statements as the application's role can
set it too. What it removes is the tenant following any `SET search_path`, whoever issues it
(see README, "Database roles").
"""

import contextlib

import django.db.utils
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import Cursor as DjangoCursor
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls

TENANT_SETTING = "brokerportal.tenant"

DatabaseError = tenants_base.DatabaseError
IntegrityError = tenants_base.IntegrityError


# --- transaction pooling (PgBouncer `pool_mode = transaction`) -------------------------------
#
# Behind a transaction pooler, consecutive statements of one Django connection may run on
# different server connections unless they share a transaction. django-tenants issues
# `SET search_path` before the statements of each cursor; in autocommit mode that SET and the
# statement after it are two transactions, so the statement could run under another client's
# search path (another tenant's tables). With `DATABASES[...]["TRANSACTION_POOLING"]` on:
# - in autocommit mode the SET is not sent on its own; every statement runs as
#   `BEGIN; SET LOCAL search_path = ...; SET LOCAL brokerportal.tenant = ...; <statement>;
#   COMMIT`, one transaction, so the pooler keeps it on one server connection and nothing of it
#   outlives the statement;
# - inside a transaction (atomic blocks) django-tenants' SET runs as the transaction's first
#   statement, as without a pooler, and every transaction sets it again before its first query;
# - server-side cursors are off and statements are never prepared (settings), as PgBouncer's
#   transaction mode requires (https://www.pgbouncer.org/features.html).


class TransactionPooledCursor(DjangoCursor):
    """Runs each autocommit statement in its own transaction behind the tenant's SET LOCAL."""

    def execute(self, query, params=None, *args, **kwargs):
        return self._in_own_transaction(super().execute, query, params, *args, **kwargs)

    def executemany(self, query, params_seq, *args, **kwargs):
        return self._in_own_transaction(super().executemany, query, params_seq, *args, **kwargs)

    def _in_own_transaction(self, run, *args, **kwargs):
        """`run(*args)` as it is inside a transaction; in autocommit mode wrapped in BEGIN, the
        tenant's SET LOCAL and COMMIT (ROLLBACK when it fails)."""
        prefix = getattr(self.connection, "brokerportal_search_path", None)
        if prefix is None or not self.connection.autocommit:
            return run(*args, **kwargs)
        super().execute(f"BEGIN; {prefix}")
        try:
            result = run(*args, **kwargs)
        except BaseException:
            with contextlib.suppress(Exception):
                DjangoCursor(self.connection).execute("ROLLBACK")
            raise
        # Another, plain cursor: this one keeps the statement's results for the caller.
        DjangoCursor(self.connection).execute("COMMIT")
        return result

    def copy(self, statement, *args, **kwargs):
        if (
            getattr(self.connection, "brokerportal_search_path", None)
            and self.connection.autocommit
        ):
            raise ImproperlyConfigured("COPY behind a transaction pooler needs a transaction.")
        return super().copy(statement, *args, **kwargs)


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if self.settings_dict.get("TRANSACTION_POOLING"):
            params["cursor_factory"] = TransactionPooledCursor
            params["prepare_threshold"] = None
        return params

    def _handle_search_path(self, cursor=None):
        """django-tenants' own method, with the tenant setting added to its statement."""
        if self._setting_search_path:
            return
        if (
            self.settings_dict.get("TRANSACTION_POOLING")
            and self.connection is not None
            and self.connection.autocommit
        ):
            self._search_path_defer()
            return
        if get_limit_set_calls() and self.search_path_set_schemas:
            return
        if not self.schema_name:
            raise ImproperlyConfigured(
                "Database schema not set. Did you forget to call set_schema() or set_tenant()?"
            )
        search_paths = self._get_cursor_search_paths()  # every name validated: no quotes
        self._setting_search_path = True
        cursor_for_search_path = self.connection.cursor() if cursor is None else cursor
        try:
            quoted = ",".join(tenants_base.quote_schema_name(s) for s in search_paths)
            # Schema names cannot hold a quote or a backslash (django-tenants validates them),
            # so the literal is safe as written.
            cursor_for_search_path.execute(
                f"SET search_path = {quoted}; SET {TENANT_SETTING} = '{self.schema_name}'"
            )
        except (django.db.utils.DatabaseError, tenants_base.psycopg.InternalError):
            self.search_path_set_schemas = None
        else:
            self.search_path_set_schemas = search_paths
        finally:
            self._setting_search_path = False
            if cursor is None:
                cursor_for_search_path.close()

    def _search_path_defer(self) -> None:
        """Transaction pooling, autocommit: no SET on the session; each statement carries it
        (TransactionPooledCursor)."""
        if not self.schema_name:
            raise ImproperlyConfigured(
                "Database schema not set. Did you forget to call set_schema() or set_tenant()?"
            )
        quoted = ",".join(
            tenants_base.quote_schema_name(s) for s in self._get_cursor_search_paths()
        )
        self.connection.brokerportal_search_path = (
            f"SET LOCAL search_path = {quoted}; SET LOCAL {TENANT_SETTING} = '{self.schema_name}'"
        )
        self.search_path_set_schemas = None
