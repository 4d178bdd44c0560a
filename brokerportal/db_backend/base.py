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

import django.db.utils
from django.core.exceptions import ImproperlyConfigured
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls

TENANT_SETTING = "brokerportal.tenant"

DatabaseError = tenants_base.DatabaseError
IntegrityError = tenants_base.IntegrityError


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def _handle_search_path(self, cursor=None):
        """django-tenants' own method, with the tenant setting added to its statement."""
        if self._setting_search_path:
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
