"""The README documents every setting and every command (Datasette's tested docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from vigil.cli import app
from vigil.platform.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme_and_in_code() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"`VIGIL_{name.upper()}`" in README, f"VIGIL_{name.upper()} is not in README"


def _commands(group: Any, prefix: str = "vigil") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):  # a command group
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


def test_every_cli_command_is_documented_in_the_readme() -> None:
    commands = _commands(typer.main.get_group(app))
    assert "vigil audit verify" in commands and "vigil user create" in commands
    for command in commands:
        assert f"`{command}" in README, f"{command} is not documented in README"


def test_every_cli_command_has_help_text() -> None:
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        assert command.help or command.short_help, f"vigil {name} has no help"
