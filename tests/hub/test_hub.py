"""The class's JupyterHub on the live cluster: two students log in with their own password,
their servers start in their own namespaces with exactly their rights, a lab runs inside a
server, and a lab goes through nbgrader's exchange – release, fetch, submit, collect,
autograde, feedback. What a student may not do is denied, and a test shows each denial."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from svclab.constants import CLASSROOM_NAMESPACE, HUB_NAMESPACE
from svclab.grading.course import Course
from svclab.hub.deploy import Hub
from svclab.k8s.api import ExecResult, kube
from svclab.k8s.kubectl import Kubectl
from svclab.labs.catalog import LABS
from svclab.poll import poll

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class HubStudent:
    name: str
    password: str

    @property
    def pod(self) -> str:
        return f"jupyter-{self.name}"

    @property
    def namespace(self) -> str:
        return f"{self.name}-server"

    def run(self, script: str, timeout: float = 120) -> ExecResult:
        """A shell command in the student's server, as the student (the pod's own account)."""
        return kube().exec(self.pod, self.namespace, ["sh", "-c", script], timeout=timeout)


@pytest.fixture(scope="module")
def hub(cluster: Kubectl) -> Iterator[tuple[str, HubStudent, HubStudent]]:
    h = Hub()
    url = h.up()
    names = [f"h{x}{uuid.uuid4().hex[:5]}" for x in "ab"]
    try:
        passwords = h.add_students(names)
        assert set(passwords) == set(names)
        a, b = (HubStudent(n, passwords[n]) for n in names)
        api = h.api()
        for s in (a, b):  # both at once, as a class does
            api.start(s.name)
        for s in (a, b):
            poll(lambda s=s: api.server(s.name).ready, timeout=240, every=1, what=f"the server of {s.name}")
        yield url, a, b
    finally:
        h.remove_students(names, purge=True)


def login(url: str, name: str, password: str) -> tuple[int, str]:
    """Log in through the hub's form, as a browser does; (status, where it lands)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/hub/login", timeout=15).read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    form = urllib.parse.urlencode({"username": name, "password": password, "_xsrf": xsrf}).encode()
    try:
        with opener.open(f"{url}/hub/login?next=", data=form, timeout=30) as reply:
            return reply.status, reply.url
    except urllib.error.HTTPError as exc:
        return exc.code, exc.url or ""


def test_a_student_logs_in_with_their_own_password_only(hub: tuple[str, HubStudent, HubStudent]) -> None:
    url, a, b = hub
    status, landed = login(url, a.name, a.password)
    assert status == 200 and f"/user/{a.name}/" in landed  # their running server
    assert login(url, a.name, b.password)[0] == 403  # bob's password is not alice's
    assert login(url, a.name, a.password + "x")[0] == 403
    assert login(url, "nobody", a.password)[0] == 403


def test_a_server_runs_as_its_student_with_their_rights_and_no_more(hub: tuple[str, HubStudent, HubStudent]) -> None:
    _, a, b = hub
    said = a.run("python3 -c 'from svclab import identity; print(identity.student())'")
    assert said.stdout.strip() == a.name, said
    mine = a.run(f"kubectl auth can-i create services -n {a.name}-clusterip")
    assert mine.stdout.strip() == "yes"
    for what in (
        f"list pods -n {b.name}-clusterip",  # another student's namespace
        f"get secrets -n {HUB_NAMESPACE}",  # the hub's secrets
        f"get secrets -n {CLASSROOM_NAMESPACE}",  # the class's tokens and password hashes
        f"create pods -n {a.namespace}",  # their own server's namespace: the hub's alone
        f"get secrets -n {a.namespace}",  # not even the token Secret their own pod mounts
    ):
        denied = a.run(f"kubectl auth can-i {what}")
        assert denied.stdout.strip() == "no", (what, denied)
    for command in (f"get secret hub-users -n {CLASSROOM_NAMESPACE}", "get namespaces"):
        refused = a.run(f"kubectl {command}")
        assert refused.returncode != 0 and "forbidden" in refused.stderr.lower(), (command, refused)


def test_a_server_holds_no_secret_of_the_hub_and_no_solution(hub: tuple[str, HubStudent, HubStudent]) -> None:
    _, a, b = hub
    env = a.run("env").stdout
    for secret in ("CONFIGPROXY_AUTH_TOKEN", "JPY_COOKIE_SECRET", "SVCLAB_HUB_TOKEN"):
        assert secret not in env
    # the student's own hub token does not reach another student
    other = a.run(
        "curl -s -o /dev/null -w '%{http_code}' -H \"Authorization: token $JUPYTERHUB_API_TOKEN\" "
        f'"$JUPYTERHUB_API_URL/users/{b.name}"'
    )
    assert other.stdout.strip() in ("403", "404"), other
    # the proxy's API listens inside the hub's pod only
    hub_ip = kube().core.list_namespaced_pod(HUB_NAMESPACE, label_selector="app.kubernetes.io/name=svclab-hub").items[0]
    proxy = a.run(f"curl -s -m 5 http://{hub_ip.status.pod_ip}:8001/api/routes; echo exit=$?")
    assert "exit=7" in proxy.stdout or "exit=28" in proxy.stdout, proxy
    labs = a.run(
        "ls ~/course; grep -rl 'BEGIN SOLUTION\\|BEGIN HIDDEN TESTS' ~ /opt/svclab /etc/jupyter; echo found=$?"
    )
    assert "01-" in labs.stdout
    assert "found=1" in labs.stdout, labs  # grep found nothing


def test_the_clusterip_lab_runs_inside_a_server(hub: tuple[str, HubStudent, HubStudent]) -> None:
    _, a, _ = hub
    Kubectl()("cp", str(ROOT / "labs/clusterip/clusterip.ipynb"), f"{a.namespace}/{a.pod}:/tmp/reference.ipynb")
    ran = a.run(
        "cd /tmp && jupyter nbconvert --to notebook --execute reference.ipynb --output ran.ipynb "
        "--ExecutePreprocessor.timeout=300",
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    out = nbformat.reads(a.run("cat /tmp/ran.ipynb").stdout, as_version=4)
    text = "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))
    assert "Hostname: hello-world-" in text  # the ClusterIP answered from the student's pod


def test_a_lab_goes_through_the_exchange_and_back(hub: tuple[str, HubStudent, HubStudent], tmp_path: Path) -> None:
    _, a, b = hub
    course = Course(tmp_path / "course")
    course.release("clusterip")
    for s in (a, b):
        fetched = s.run("cd ~ && nbgrader fetch_assignment clusterip && ls labs/clusterip")
        assert "clusterip.ipynb" in fetched.stdout, fetched
    # alice answers it (the reference, as a student who did everything); bob hands in the blank
    Kubectl()(
        "cp",
        str(ROOT / "labs/clusterip/clusterip.ipynb"),
        f"{a.namespace}/{a.pod}:/home/jovyan/labs/clusterip/clusterip.ipynb",
    )
    for s in (a, b):
        submitted = s.run("cd ~ && nbgrader submit clusterip")
        assert submitted.returncode == 0, submitted.stderr
    forged = a.run(f"cd ~ && nbgrader submit clusterip --student={b.name}")  # lands in alice's inbox anyway
    assert forged.returncode == 0, forged.stderr
    # each server sees its own inbox only: alice's two, bob's one, none of the other's
    inbox = "ls -1 /srv/nbgrader/exchange/svclab/inbound"  # names hold spaces (the timestamp)
    mine, theirs = (set(s.run(inbox).stdout.splitlines()) for s in (a, b))
    assert len(mine) == 2 and len(theirs) == 1 and not mine & theirs, (mine, theirs)

    found = course.collect("clusterip", [a.name, b.name])
    assert found.students == {a.name, b.name}
    assert any(b.name in line and a.name in line for line in found.refused)  # bob's name from alice's inbox
    outcomes = course.autograde("clusterip", [a.name, b.name], parallel=2)
    assert all(o.graded for o in outcomes.values()), outcomes
    scores = course.scores("clusterip")
    assert sum(scores[a.name].values()) == LABS["clusterip"].max_points
    assert sum(scores[b.name].values()) == 0
    course.release_feedback("clusterip")
    back = a.run("cd ~ && nbgrader fetch_feedback clusterip && ls labs/clusterip/feedback/*/")
    assert "clusterip.html" in back.stdout, back


def test_status_shows_each_student_their_server_and_where_it_runs(hub: tuple[str, HubStudent, HubStudent]) -> None:
    from typer.testing import CliRunner

    from svclab.cli import app

    url, a, b = hub
    shown = CliRunner().invoke(app, ["hub", "status"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"hub: {url}/  ready" in shown.output
    for s in (a, b):
        row = next(line for line in shown.output.splitlines() if line.strip().startswith(s.name))
        assert row.split()[1:3] == ["ready", "Running"] and "svclab-worker" in row and s.namespace in row, row


def test_down_removes_the_hub_and_nothing_of_the_students(hub: tuple[str, HubStudent, HubStudent]) -> None:
    url, a, _ = hub
    marker = a.run("echo kept > ~/marker.txt")
    assert marker.returncode == 0
    h = Hub()
    h.down()
    k = kube()
    assert k.get("read the hub's namespace", k.core.read_namespace, HUB_NAMESPACE) is None
    assert not k.core.list_namespaced_pod(a.namespace, label_selector="component=singleuser-server").items
    assert k.get("read the server namespace", k.core.read_namespace, a.namespace) is not None  # the student stays
    assert h.up() == url  # the same port again
    status, _ = login(url, a.name, a.password)  # the same password: its hash lives with the class
    assert status == 200
    h.api().start(a.name)
    poll(lambda: h.api().server(a.name).ready, timeout=240, every=1, what=f"the server of {a.name}")
    assert a.run("cat ~/marker.txt").stdout.strip() == "kept"  # and the same home
