"""Two students in two browsers at once on the class's hub: each logs in, fetches the
ClusterIP lab from the Assignments tab, writes the answers, runs the lab and its checks in a
kernel inside the cluster and submits; the instructor collects and autogrades both, and
each gets full marks. Screenshots go to test-artifacts/."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from svclab.grading.course import Course
from svclab.hub.deploy import Hub
from svclab.k8s.kubectl import Kubectl
from svclab.labs.catalog import LABS

pytestmark = pytest.mark.live
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: what a student types into the lab's two task cells, in their order
ANSWERS = (
    "!kubectl expose deployment hello-world --port=80 --target-port=8080",
    "cluster_ip = !kubectl get service hello-world -o jsonpath='{.spec.clusterIP}'\n"
    "cluster_ip = cluster_ip[0]\nprint(cluster_ip)",
)


@pytest.fixture(scope="module")
def class_of_two(
    cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], Course]]:
    hub = Hub()
    url = hub.up()
    names = [f"w{x}{uuid.uuid4().hex[:5]}" for x in "ab"]
    course = Course(tmp_path_factory.mktemp("hub-course") / "course")
    try:
        passwords = hub.add_students(names)
        course.release("clusterip")
        yield url, passwords, course
    finally:
        hub.remove_students(names, purge=True)


def work_through_the_lab(url: str, name: str, password: str, failures: list[str]) -> None:
    """One student's session in their own browser: log in, fetch, answer, run, submit."""
    from playwright.sync_api import expect, sync_playwright

    visible = sum(c.points for c in LABS["clusterip"].checks if not c.hidden)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/hub/login")
            page.fill("#username_input", name)
            page.fill("#password_input", password)
            page.click("#login_submit")
            expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=240_000)  # server spawned, Lab loaded

            page.locator("#jp-menu-panel div.lm-MenuBar-itemLabel:text('Nbgrader')").click()
            page.locator("#jp-mainmenu-nbgrader li[data-command='nbgrader:open-assignment-list']").click()
            released = page.locator("#released_assignments_list > .list_item").filter(has_text="clusterip")
            released.get_by_role("button", name="Fetch").click(timeout=60_000)
            fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text="clusterip")
            expect(fetched.get_by_role("button", name="Submit")).to_be_visible(timeout=60_000)

            page.goto(f"{url}/user/{name}/lab/tree/labs/clusterip/clusterip.ipynb")
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=120_000)
            for answer in ANSWERS:  # each time into the first task cell still blank
                page.locator(".jp-CodeCell").filter(has_text="# YOUR CODE HERE").first.locator(".cm-content").click()
                page.keyboard.press("Control+a")
                page.keyboard.insert_text(answer)  # as pasted: no auto-closed brackets
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            expect(page.get_by_text(f"{visible:g}/{visible:g} points on the visible checks")).to_be_visible(
                timeout=300_000
            )
            assert "Traceback" not in page.content()
            assert page.get_by_text("Jupyter news").count() == 0  # no news prompt in a student's Lab
            page.keyboard.press("Control+s")
            expect(page.locator(".jp-mod-dirty")).to_have_count(0, timeout=30_000)

            page.goto(f"{url}/user/{name}/lab")
            page.locator("#jp-menu-panel div.lm-MenuBar-itemLabel:text('Nbgrader')").click()
            page.locator("#jp-mainmenu-nbgrader li[data-command='nbgrader:open-assignment-list']").click()
            fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text="clusterip")
            fetched.get_by_role("button", name="Submit").click(timeout=60_000)
            submitted = page.locator("#submitted_assignments_list > .list_item").filter(has_text="clusterip")
            expect(submitted).to_be_visible(timeout=60_000)
        except Exception as exc:  # noqa: BLE001 – reported by the test thread below
            failures.append(f"{name}: {exc}")
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"hub-{name}.png"), full_page=True)
            browser.close()


def test_two_students_work_through_a_lab_in_browsers_and_are_graded(
    class_of_two: tuple[str, dict[str, str], Course],
) -> None:
    url, passwords, course = class_of_two
    failures: list[str] = []
    threads = [
        threading.Thread(target=work_through_the_lab, args=(url, name, password, failures))
        for name, password in passwords.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not failures, failures
    found = course.collect("clusterip", passwords)
    assert found.students == set(passwords) and not found.refused
    outcomes = course.autograde("clusterip", sorted(passwords), parallel=2)
    assert all(o.graded for o in outcomes.values()), outcomes
    scores = course.scores("clusterip")
    for name in passwords:
        assert sum(scores[name].values()) == LABS["clusterip"].max_points, (name, scores[name])
