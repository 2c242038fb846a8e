"""The files in deploy/ as an operator uses them: the example environment file is read the
same by systemd (EnvironmentFile) and by the shell (``set -a; . consult.env``), which the
guide's commands and the backup schedule use."""
from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess

import pytest

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


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                    reason="the wrapper is run by root (runuser)")
def test_the_operators_command_runs_consult_with_the_sites_settings(tmp_path):
    """deploy/consult-admin (installed as /usr/local/bin/consult) loads the environment
    file, as the services do, and passes arguments with spaces through unchanged."""
    database = tmp_path / "site.sqlite3"
    settings = tmp_path / "consult.env"
    settings.write_text(ENV_EXAMPLE.read_text().replace(
        "DATABASE_URL=postgresql+psycopg://consult:CHANGE-ME@127.0.0.1:5432/consult",
        f"DATABASE_URL=sqlite:///{database}").replace(
        "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0", "RATELIMIT_STORAGE_URI=memory://"))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CONSULT_HOME": str(ROOT),
           "CONSULT_ENV": str(settings), "CONSULT_USER": pwd.getpwuid(os.geteuid()).pw_name}

    def consult(*args):
        return subprocess.run([str(ROOT / "deploy" / "consult-admin"), *args], env=env,
                              capture_output=True, text=True, timeout=120)

    upgraded = consult("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert database.exists()  # the settings' database, not the default one
    refused = consult("erase", "AAAA-AAAA-AAAA", "--reason", "letter of 3 May",
                      "--as", "clerk of Naryn@example.org")
    assert refused.returncode != 0
    assert "clerk of Naryn@example.org is not an administrator" in refused.stderr
