"""No request can break the dashboard's assets: ``/_solara/cdn/...`` is read-only and offline.

``okrsim dashboard`` runs on a free loopback port over a copy of the installed
solara-assets files (hard links, so the copy costs no space and the shared
environment's files are never at risk).  Every way out of the machine that
Solara's asset proxy would take, the CDN base URL and the HTTP(S) proxies,
points at a loopback listener that counts connections; it must count none.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser import (
    SOLARA_OFFLINE_ENV,
    Server,
    dashboard_command,
    mesa_time,
    plotly_traces,
    serve,
    wait_for,
)
from playwright.sync_api import expect

pytest_plugins = ["browser_plugin"]
pytestmark = pytest.mark.slow

INSTALLED_ASSETS = Path(sys.prefix) / "share" / "solara" / "cdn"
#: The folder whose GET made solara 1.64's proxy delete it.
APP_FOLDER = "@widgetti/solara-vuetify-app@10.1.1"


@dataclass
class Outside:
    """A loopback listener standing in for the internet: it counts who tried to reach it."""

    url: str
    connections: list[str]


@pytest.fixture(scope="module")
def outside() -> Iterator[Outside]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    found = Outside(f"http://127.0.0.1:{listener.getsockname()[1]}", [])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                continue
            found.connections.append(f"{peer[0]}:{peer[1]}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hard-linked copy of the installed solara-assets files."""
    copy = tmp_path_factory.mktemp("assets") / "cdn"
    shutil.copytree(INSTALLED_ASSETS, copy, copy_function=os.link)
    return copy


@pytest.fixture(scope="module")
def dashboard(assets: Path, outside: Outside) -> Iterator[Server]:
    env = {
        **SOLARA_OFFLINE_ENV,
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets),
        "SOLARA_ASSETS_CDN": outside.url + "/",
        "HTTP_PROXY": outside.url,
        "HTTPS_PROXY": outside.url,
        "http_proxy": outside.url,
        "https_proxy": outside.url,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    command = dashboard_command()
    with serve(command, env=env, name="okrsim-dashboard-assets") as server:
        yield server


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: ``{relative path: (size, modification time)}``."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def get(server: Server, path: str, method: str = "GET") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_a_folder_get_leaves_every_asset_in_place_and_the_page_loads(
    dashboard: Server, assets: Path, outside: Outside, open_page: Any
) -> None:
    before = listing(assets)
    assert f"{APP_FOLDER}/dist/solara-vuetify-app8.min.js" in before  # the page's own bundle
    for path in (
        f"/_solara/cdn/{APP_FOLDER}",
        f"/_solara/cdn/{APP_FOLDER}/",
        "/_solara/cdn/@widgetti",
        "/_solara/cdn/",
    ):
        assert get(dashboard, path) == 404, path
    for method in ("PUT", "POST", "DELETE"):
        assert get(dashboard, f"/_solara/cdn/{APP_FOLDER}/package.json", method) == 405
    assert get(dashboard, "/_solara/cdn/requirejs@2.3.6/require.js") == 200
    assert listing(assets) == before

    watched = open_page(dashboard.url)
    expect(mesa_time(watched.page)).to_have_text("Time: 0.0", timeout=30_000)
    wait_for(lambda: len(plotly_traces(watched.page)), lambda n: n >= 1, what="the first chart")
    watched.assert_clean()
    assert listing(assets) == before
    assert outside.connections == []


def unknown_paths(assets: Path) -> list[str]:
    """200 asset paths that name no file solara-assets holds, of every shape a page could send.

    Among them 25 of its folders, each of which the unpatched proxy would delete.
    """
    shapes = [
        "left-pad@1.{i}.0/index.js",  # a package never shipped
        "requirejs@2.3.{j}/require.js",  # a version never shipped
        "requirejs@2.3.6/missing-{i}.js",  # a file never shipped
        "jquery@{i}",  # one part: the proxy would store it as <path>/__main.js
        "..%2f..%2fetc%2fpasswd{i}",  # out of the directory
        "@widgetti/solara-vuetify-app@10.1.1/dist/{i}/../../../../x.js",
        "font-awesome@4.5.0/css/font-awesome.min.css.{i}",
    ]
    folders = sorted(
        str(p.relative_to(assets)) for p in assets.rglob("*") if p.is_dir() and "." not in p.name
    )[:25]
    unknown = [shapes[i % len(shapes)].format(i=i, j=i + 7) for i in range(200 - len(folders))]
    return [f"/_solara/cdn/{path}" for path in folders + unknown]


def test_200_unknown_asset_paths_are_404_within_a_second_with_nothing_sent_out(
    dashboard: Server, assets: Path, outside: Outside
) -> None:
    before = listing(assets)
    paths = unknown_paths(assets)
    assert len(set(paths)) == 200
    conn = http.client.HTTPConnection("127.0.0.1", dashboard.port, timeout=30)
    statuses = []
    start = time.perf_counter()
    try:
        for path in paths:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    elapsed = time.perf_counter() - start
    print(f"200 unknown asset paths answered in {elapsed:.3f} s")
    assert statuses == [404] * 200, dict(zip(paths, statuses, strict=True))
    assert elapsed < 1.0
    assert outside.connections == []
    assert listing(assets) == before
