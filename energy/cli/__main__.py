"""``python -m energy.cli``: the ``energy`` command."""

from energy.cli.main import app

app()
