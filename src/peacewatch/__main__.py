"""`python -m peacewatch` runs the CLI."""

from peacewatch.cli import app

app(prog_name="peacewatch")
