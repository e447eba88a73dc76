"""A real browser: JupyterLab started here, a notebook opened in Debian's chromium via
Playwright, svclab widgets rendered and clicked; a screenshot is kept in test-artifacts/."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import svclab as sl
from svclab.k8s.kubectl import Kubectl
from svclab.settings import settings

pytestmark = pytest.mark.live
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on a free 127.0.0.1 port with a token, serving ``tmp_path``; (base URL with token, root)."""
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path / "jupyter"
    env = {
        **os.environ,
        **settings().tool_env(),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"),
    }
    root = tmp_path / "notebooks"
    root.mkdir()
    argv = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"{base}/lab/tree/{{path}}?token={token}", root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def write_notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_widgets_render_and_answer_clicks_in_jupyterlab(
    cluster: Kubectl, hello_world: str, jupyterlab: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ns = hello_world
    ip = sl.expose("hello-world", 80, 8080, namespace=ns).cluster_ip
    sl.wait_for_endpoints("hello-world", ns)
    sl.probe_pod(ns)  # the DNS widget reuses it: the click below measures a warm lookup
    url, root = jupyterlab
    write_notebook(
        root / "services.ipynb",
        f"import svclab as sl\nsl.ServiceExplorer('hello-world', {ns!r})",
        f"sl.DnsExplorer('hello-world', {ns!r})",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.goto(url.format(path="services.ipynb"))
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            explorer = page.locator(".svclab-widget").filter(has_text="Service explorer")
            expect(explorer).to_contain_text("EndpointSlice entries (3 ready of 3)", timeout=60_000)
            expect(explorer.locator("svg.svclab-topology g.svclab-pod")).to_have_count(3)
            dns = page.locator(".svclab-widget").filter(has_text="DNS from a pod")
            dns.get_by_role("button", name="Resolve").click()
            expect(dns).to_contain_text(ip, timeout=30_000)
            expect(dns).to_contain_text(f"hello-world.{ns}.svc.cluster.local.")
            expect(dns).to_contain_text(f"{ns}.svc.cluster.local svc.cluster.local cluster.local")
            assert "Traceback" not in page.content()
        finally:
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-widgets.png"), full_page=True)
            browser.close()
