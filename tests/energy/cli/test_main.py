"""The ``energy`` command: its help without the models, each command imported when used."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from energy.cli.main import COMMANDS, app, load_command

#: Packages that take seconds to import; ``energy --help`` must not need them.
HEAVY = ("pandapower", "pyomo", "pvlib", "demandlib", "highspy", "pandas")


def test_help_imports_no_model_package() -> None:
    """``python -m energy.cli --help`` in a fresh interpreter: listed commands, no heavy import."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['energy', '--help']\n"
        "try:\n"
        "    runpy.run_module('energy.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert "HEAVY []" in done.stdout, done.stdout[-2000:]
    for name in COMMANDS:
        assert f"  {name} " in done.stdout, name


def test_listed_help_is_each_commands_own() -> None:
    for name, (_, short) in COMMANDS.items():
        command = load_command(name)
        assert command is not None, name
        assert command.get_short_help_str(200) == short, name
    assert load_command("no-such-command") is None


def test_a_command_is_loaded_when_invoked() -> None:
    res = CliRunner().invoke(app, ["district", "--help"])
    assert res.exit_code == 0, res.output
    assert "validate" in res.output
    res = CliRunner().invoke(app, ["no-such-command"])
    assert res.exit_code == 2 and "No such command" in res.output
