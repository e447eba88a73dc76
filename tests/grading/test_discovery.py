"""Discovery lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "discovery"
FULL = LABS[LAB].max_points
CLIENT = (
    "!kubectl run client --image=docker.io/svclab/toolbox:v1 -- sleep infinity\n"
    "!kubectl wait pod/client --for=condition=Ready --timeout=60s"
)


def _search(first: str) -> str:
    """The search-domain task, with ``first`` the generator that picks the answer."""
    return f"resolv = !kubectl exec toolbox -- cat /etc/resolv.conf\nfirst_search = next({first})"


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            # the client pod started before the Service: it never gets the variables
            "client-too-early": variant(
                LAB,
                expose=f"{CLIENT}\n!kubectl expose deployment hello-world --port=80 --target-port=8080",
                client="!kubectl exec client -- env | grep HELLO_WORLD",
            ),
            # greeter's Service made in the lab namespace (no -n): nothing in the second one
            "greeter-in-own-namespace": variant(
                LAB, other_service="!kubectl create service clusterip greeter --tcp=80:8080"
            ),
            # answers typed instead of read, and the wrong reason
            "typed-answers": variant(
                LAB, search='first_search = "lab-discovery.svc.cluster.local"', why_no_env='why_no_env = "c"'
            ),
            # the full name without its `svc` part: dig answers nothing
            "name-without-svc": variant(
                LAB,
                fqdn_ip="fqdn_ip = !kubectl exec toolbox -- dig +short hello-world.{lab.namespace}.cluster.local",
            ),
            # the Service exposed on the pods' port: DNS works, port 80 does not
            "service-on-8080": variant(LAB, expose="!kubectl expose deployment hello-world --port=8080"),
            "service-name-typo": variant(
                LAB, expose="!kubectl expose deployment hello-world --name=helloworld --port=80 --target-port=8080"
            ),
            # an address typed in: cluster IPs differ where the notebook is graded
            "fqdn-typed": variant(LAB, fqdn_ip='fqdn_ip = "10.96.45.12"'),
            # dig does not use the search path: the short name gives nothing
            "fqdn-short-name": variant(LAB, fqdn_ip="fqdn_ip = !kubectl exec toolbox -- dig +short hello-world"),
            # the nameserver line, not the search line
            "search-nameserver": variant(
                LAB, search=_search('line.split()[1] for line in resolv if line.startswith("nameserver")')
            ),
            "search-last-domain": variant(
                LAB, search=_search('line.split()[-1] for line in resolv if line.startswith("search")')
            ),
            # the second namespace's name typed as the student's own was: refused
            "greeter-typed-namespace": variant(
                LAB, other_service="!kubectl expose deployment greeter -n lab-discovery-b --port=80 --target-port=8080"
            ),
            "client-other-name": variant(
                LAB,
                client=CLIENT.replace("client", "client-1") + "\n!kubectl exec client-1 -- env | grep HELLO_WORLD",
            ),
            # the letter and the reason in words
            "why-with-text": variant(
                LAB, why_no_env='why_no_env = "b) it was started before Service hello-world existed"'
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "no service named 'hello-world'" in g.messages["service"]
    assert "no service named 'greeter' in namespace g-blank-discovery-b" in g.messages["other-service"]
    assert "no answer: the variable why_no_env is not set" in g.messages["why-no-env"]


def test_client_started_before_the_service_lacks_the_variables(graded: dict[str, Graded]) -> None:
    g = graded["client-too-early"]
    assert g.total == FULL - 2 and g.scores["env"] == 0
    assert "pod client has no variable HELLO_WORLD_SERVICE_HOST" in g.messages["env"]
    assert "for the Services that exist when it starts" in g.messages["env"]


def test_greeter_in_own_namespace_loses_the_cross_namespace_checks(graded: dict[str, Graded]) -> None:
    g = graded["greeter-in-own-namespace"]
    assert g.total == FULL - 3
    assert {k: v for k, v in g.scores.items() if v == 0} == {"other-service": 0, "cross-namespace": 0, "reach-other": 0}
    assert (
        "there is no service named 'greeter' in namespace g-greeter-in-own-namespace-discovery-b"
        in g.messages["other-service"]
    )
    assert "create it in the second namespace, g-greeter-in-own-namespace-discovery-b" in g.messages["other-service"]


def test_typed_answers_do_not_replay(graded: dict[str, Graded]) -> None:
    g = graded["typed-answers"]
    assert g.total == FULL - 2 and g.scores["search"] == 0 and g.scores["why-no-env"] == 0
    assert (
        "first_search is 'lab-discovery.svc.cluster.local', which is not the first search domain"
        in g.messages["search"]
    )
    assert "why_no_env is 'c', which is not the reason" in g.messages["why-no-env"]


def test_a_name_without_svc_is_named_as_the_mistake(graded: dict[str, Graded]) -> None:
    g = graded["name-without-svc"]
    assert {k for k, v in g.scores.items() if v == 0} == {"fqdn-ip"}, g.scores
    assert (
        "fqdn_ip is empty: dig looked up hello-world.g-name-without-svc-discovery.cluster.local, "
        "which has no 'svc' part"
    ) in g.messages["fqdn-ip"]


def test_a_service_on_the_wrong_port_loses_the_port(graded: dict[str, Graded]) -> None:
    g = graded["service-on-8080"]
    assert g.scores["service"] == 0 and g.scores["dns"] == 1, g.scores
    assert "Service hello-world has no port 80 (its ports: 8080)" in g.messages["service"]


def test_typo_in_the_service_name(graded: dict[str, Graded]) -> None:
    g = graded["service-name-typo"]
    assert {k for k, v in g.scores.items() if v == 0} == {"service", "dns", "fqdn-ip", "env"}
    assert g.total == FULL - 5
    assert (
        "there is no service named 'hello-world' in namespace g-service-name-typo-discovery; it has: helloworld"
        in g.messages["service"]
    )


def test_typed_address_is_not_the_cluster_ip_where_graded(graded: dict[str, Graded]) -> None:
    g = graded["fqdn-typed"]
    assert {k for k, v in g.scores.items() if v == 0} == {"fqdn-ip"}
    assert g.total == FULL - 1
    assert "fqdn_ip is '10.96.45.12', which is not the address of hello-world's full DNS name" in g.messages["fqdn-ip"]


def test_dig_of_the_short_name_names_the_missing_parts(graded: dict[str, Graded]) -> None:
    g = graded["fqdn-short-name"]
    assert {k for k, v in g.scores.items() if v == 0} == {"fqdn-ip"}
    assert g.total == FULL - 1
    assert (
        "fqdn_ip is empty: dig looked up hello-world, which has no 'g-fqdn-short-name-discovery', 'svc', 'cluster', "
        "'local' part (the full name is hello-world.g-fqdn-short-name-discovery.svc.cluster.local"
    ) in g.messages["fqdn-ip"]


def test_nameserver_is_not_a_search_domain(graded: dict[str, Graded]) -> None:
    g = graded["search-nameserver"]
    assert {k for k, v in g.scores.items() if v == 0} == {"search"}
    assert g.total == FULL - 1
    assert "first_search is '10.96.0.10', which is not the first search domain of pod toolbox" in g.messages["search"]


def test_last_search_domain_is_not_the_first(graded: dict[str, Graded]) -> None:
    g = graded["search-last-domain"]
    assert {k for k, v in g.scores.items() if v == 0} == {"search"}
    assert g.total == FULL - 1
    assert (
        "first_search is 'cluster.local', which is not the first search domain of pod toolbox" in g.messages["search"]
    )


def test_greeter_exposed_in_a_typed_namespace_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["greeter-typed-namespace"]
    assert {k for k, v in g.scores.items() if v == 0} == {"other-service", "cross-namespace", "reach-other"}
    assert g.total == FULL - 3
    assert (
        "there is no service named 'greeter' in namespace g-greeter-typed-namespace-discovery-b; it has none – and "
        "kubectl refused `kubectl expose deployment greeter -n lab-discovery-b --port=80 --target-port=8080`"
    ) in g.messages["other-service"]


def test_client_under_another_name(graded: dict[str, Graded]) -> None:
    g = graded["client-other-name"]
    assert {k for k, v in g.scores.items() if v == 0} == {"env"}
    assert g.total == FULL - 2
    assert re.search(
        r"there is no pod named 'client' in namespace g-client-other-name-discovery; it has: client-1, hello-world-",
        g.messages["env"],
    ), g.messages["env"]


def test_a_letter_with_its_reason_counts(graded: dict[str, Graded]) -> None:
    assert graded["why-with-text"].total == FULL, graded["why-with-text"].messages
