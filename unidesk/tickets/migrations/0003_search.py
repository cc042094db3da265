"""Full-text search schema and the ticket number sequence (see tickets/search.py)."""

from django.db import migrations

from unidesk.tickets import search


def create(apps, schema_editor):
    statements = {
        "sqlite": search.SQLITE_SCHEMA,
        "postgresql": search.POSTGRES_SCHEMA,
    }.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    statements = {
        "sqlite": search.SQLITE_DROP,
        "postgresql": search.POSTGRES_DROP,
    }.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
