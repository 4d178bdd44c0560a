"""`manage.py database_create`: the database `DATABASE_URL` names, created when the server does
not have it yet (`make run`, `make serve` and `make test` run it before migrating).

PostgreSQL has no `CREATE DATABASE IF NOT EXISTS`
(https://www.postgresql.org/docs/current/sql-createdatabase.html): the catalogue `pg_database`
is asked first, on the server's maintenance database `postgres`, as Django's own test runner
does. The role needs the `CREATEDB` privilege; without it the command says so and fails.
"""

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql


class Command(BaseCommand):
    help = "Create the database of DATABASE_URL if the server does not have it."

    def handle(self, *args, **options):
        params = connection.get_connection_params()
        name = connection.settings_dict["NAME"]
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        params["dbname"] = "postgres"
        try:
            with psycopg.connect(**params, autocommit=True) as maintenance:
                found = maintenance.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if found:
                    if options["verbosity"] > 1:
                        self.stdout.write(f"Database {name} exists.")
                    return
                maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return  # created meanwhile by another process
        except psycopg.errors.InsufficientPrivilege as refused:
            raise CommandError(
                f"Database {name} does not exist and this role may not create it: {refused}"
            ) from None
        except psycopg.OperationalError as failed:
            raise CommandError(f"Cannot reach the database server: {failed}") from None
        self.stdout.write(f"Created database {name}.")
