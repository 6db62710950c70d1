"""``openprofiles completion``: the script each shell loads, and bash completing with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from openprofiles.cli.main import cli

SCRIPT = Path(sys.executable).parent / "openprofiles"


@pytest.mark.parametrize(
    ("shell", "mark"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef openprofiles"), ("fish", "complete")],
)
def test_each_shell_gets_its_script(shell: str, mark: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert mark in result.stdout
    assert "_OPENPROFILES_COMPLETE" in result.stdout


def test_an_unknown_shell_is_refused() -> None:
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2 and "'tcsh' is not one of" in result.output


@pytest.mark.skipif(not SCRIPT.exists() or shutil.which("bash") is None, reason="bash")
def test_bash_completes_subcommands_and_options() -> None:
    """The documented install line, then what bash offers after ``openprofiles ba`` and
    ``openprofiles export --ob``."""

    def complete(*words: str) -> list[str]:
        program = (
            'eval "$(openprofiles completion bash)"\n'
            f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}\n"
            "_openprofiles_completion openprofiles\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        env = {"PATH": f"{SCRIPT.parent}:/usr/bin:/bin"}
        done = subprocess.run(["bash", "-c", program], env=env, capture_output=True,
                              text=True, timeout=60, check=True)  # fmt: skip
        return done.stdout.split()

    assert complete("openprofiles", "ba") == ["backup"]
    assert complete("openprofiles", "export", "--ob") == ["--objects-of"]
    assert "doctor" in complete("openprofiles", "''")
