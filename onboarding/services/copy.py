"""Inserting many rows with PostgreSQL COPY (psycopg 3) instead of INSERT statements: the bulk
import's 10,000 applications go in one stream. Model defaults and auto_now values are applied
as the ORM would (`pre_save`), values are prepared by each field."""

import json

from django.db import connection, models


def rows_copy(model: type[models.Model], objs: list[models.Model]) -> None:
    """COPY `objs` into the model's table in the current schema. Primary keys come from the
    table's sequence and are not set on `objs`; read the rows back to get them."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row([_value(field, obj) for field in fields])


def _value(field: models.Field, obj: models.Model):
    value = field.pre_save(obj, add=True)
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, connection)
