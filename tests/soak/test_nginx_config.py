"""The nginx configuration the soak tests run is the deployed one: rendering it for a test
on loopback changes only how it listens, where it writes and which app servers it knows."""
from __future__ import annotations

import re
import subprocess

import pytest

from consult.delivery import UNVERSIONED_MAX_AGE, YEAR
from tests.soak.servers import (
    DEPLOYED_STATIC,
    SITE,
    STATIC,
    blocks,
    render_nginx_config,
    render_site,
)

UPSTREAMS = ["127.0.0.1:9101", "127.0.0.1:9102"]


def https_server(site: str) -> str:
    return next(block for block in blocks(site, "server")
                if re.search(r"listen 443 ssl( http2)?;", block))


def test_every_location_rule_is_kept_as_deployed(tmp_path):
    deployed = blocks(https_server(SITE.read_text()), "location")
    rendered = blocks(render_site(SITE.read_text(), 8443, UPSTREAMS, tmp_path), "location")
    assert deployed, "the deployed site has no locations"
    assert rendered == [rule.replace(f"alias {DEPLOYED_STATIC};", f"alias {STATIC}/;")
                        for rule in deployed]


def test_it_serves_plain_http_on_loopback_only(tmp_path):
    rendered = render_site(SITE.read_text(), 8443, UPSTREAMS, tmp_path)
    assert len(blocks(rendered, "server")) == 1
    assert re.findall(r"^\s*listen\s.*$", rendered, re.MULTILINE) == [
        "    listen 127.0.0.1:8443;"]
    assert not re.search(r"^\s*(ssl_|http2)", rendered, re.MULTILINE)
    assert f"proxy_cache_path {tmp_path / 'cache'} " in rendered


def test_the_app_servers_are_the_upstreams_with_the_deployed_parameters(tmp_path):
    rendered = render_site(SITE.read_text(), 8443, UPSTREAMS, tmp_path)
    assert re.findall(r"^\s*server (\S+) max_fails=3 fail_timeout=10s;", rendered,
                      re.MULTILINE) == UPSTREAMS


def test_http2_may_be_said_either_way(tmp_path):
    # The deployed file says it on the listen line (nginx 1.22 of Debian 12); nginx from
    # 1.25.1 prefers "http2 on;". Either renders the same.
    deployed = SITE.read_text()
    assert deployed.count("ssl http2;") == 2 and "http2 on;" not in deployed
    newer = deployed.replace("    listen [::]:443 ssl http2;\n",
                             "    listen [::]:443 ssl;\n    http2 on;\n")
    newer = newer.replace("listen 443 ssl http2;", "listen 443 ssl;")
    assert newer.count("http2 on;") == 1 and "ssl http2;" not in newer
    assert render_site(newer, 8443, UPSTREAMS, tmp_path) == render_site(
        deployed, 8443, UPSTREAMS, tmp_path)


def test_a_deployed_file_that_changed_shape_fails_loudly(tmp_path):
    changed = SITE.read_text().replace("listen 443 ssl http2;", "listen 443 ssl reuseport;")
    with pytest.raises(ValueError, match="listen 443 ssl"):
        render_site(changed, 8443, UPSTREAMS, tmp_path)


def test_nginx_accepts_the_rendered_configuration(nginx_binary, tmp_path):
    config = tmp_path / "nginx.conf"
    config.write_text(render_nginx_config(SITE.read_text(), 8443, UPSTREAMS, tmp_path))
    checked = subprocess.run([nginx_binary, "-t", "-p", str(tmp_path), "-c", str(config),
                              "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_every_location_with_its_own_headers_keeps_https_strict():
    """nginx drops the server's add_header in a location with its own: HSTS said again."""
    server = https_server(SITE.read_text())
    hsts = 'add_header Strict-Transport-Security "max-age=31536000" always;'
    assert hsts in re.split(r"^\s*location\s", server, maxsplit=1, flags=re.MULTILINE)[0]
    with_headers = [rule for rule in blocks(server, "location") if "add_header" in rule]
    assert len(with_headers) >= 2
    assert all(hsts in rule for rule in with_headers)


def test_static_files_get_one_cache_control_header():
    # "expires" adds a Cache-Control of its own beside an add_header one.
    static = next(rule for rule in blocks(https_server(SITE.read_text()), "location")
                  if "alias " in rule)
    assert "expires" not in static
    assert static.count("add_header Cache-Control") == 1


def test_nginx_keeps_static_files_as_long_as_the_app_would():
    """nginx serves /static/ itself; its lifetimes are the app's (consult/delivery.py)."""
    lifetimes = next(block for block in blocks(SITE.read_text(), "map")
                     if "$consult_static_cache" in block.split("{", 1)[0])
    assert f'""      "public, max-age={UNVERSIONED_MAX_AGE}";' in lifetimes
    assert f'default "public, max-age={YEAR}, immutable";' in lifetimes
