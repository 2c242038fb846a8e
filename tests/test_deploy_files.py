"""The files in deploy/ as an operator uses them: the example environment file is read the
same by systemd (EnvironmentFile) and by the shell (``set -a; . consult.env``), which the
guide's commands and the backup schedule use."""
from __future__ import annotations

import shlex
import subprocess

from consult.config import ROOT

ENV_EXAMPLE = ROOT / "deploy" / "consult.env.example"


def systemd_reading(text: str) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile takes them (one pair of surrounding
    double quotes removed)."""
    values = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[key.strip()] = value
    return values


def test_the_shell_reads_every_setting_of_the_example_as_systemd_does():
    expected = systemd_reading(ENV_EXAMPLE.read_text())
    assert expected["MAIL_FROM"] == "Public consultation <consult@example.org>"
    names = " ".join(f'"${name}"' for name in expected)
    done = subprocess.run(
        ["sh", "-c", f"set -e; set -a; . {shlex.quote(str(ENV_EXAMPLE))}; set +a; "
                     f"printf '%s\\0' {names}"],
        capture_output=True, text=True, timeout=10, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert dict(zip(expected, done.stdout.split("\0")[:-1], strict=True)) == expected
