"""Selector-less lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, reference, variant

pytestmark = pytest.mark.live
LAB = "selectorless"
FULL = LABS[LAB].max_points


def _changed(task: str, old: str, new: str) -> str:
    """The reference solution of ``task`` with one change."""
    cell = next(c for c in reference(LAB).cells if c.metadata["nbgrader"]["grade_id"] == f"task-{task}")
    body = re.search(r"### BEGIN SOLUTION\n(.*)\n### END SOLUTION", cell.source, re.S)[1]
    assert body.count(old) == 1, old
    return body.replace(old, new)


def _slice(old: str, new: str) -> str:
    """The reference EndpointSlice task with one change."""
    return _changed("slice", old, new)


def _service(old: str, new: str) -> str:
    return _changed("service", old, new)


def _pod_ips(old: str, new: str) -> str:
    return _changed("pod-ips", old, new)


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            # kubectl create service adds a selector (app: hello-manual) and names the port 80-8080
            "created-with-kubectl": variant(
                LAB, service="!kubectl create service clusterip hello-manual --tcp=80:8080"
            ),
            "no-label": variant(LAB, slice=_slice("  labels:\n    kubernetes.io/service-name: hello-manual\n", "")),
            "service-port-in-slice": variant(LAB, slice=_slice("  - port: 8080\n", "  - port: 80\n")),
            # addresses seen once in the student's own namespace, typed in
            # typed from another namespace's run, here in the control plane's pod range: no hello-app
            # pod ever runs there (tainted), so no typed address answers by chance where graded
            "typed-pod-ips": variant(LAB, pod_ips='pod_ips = ["10.244.0.5", "10.244.0.7", "10.244.0.6"]'),
            # a typo in the label selector: kubectl finds no pod and prints nothing
            "ips-label-typo": variant(LAB, pod_ips=_pod_ips("-l run=hello-world", "-l run=hello-wrold")),
            # the nodes' addresses instead of the pods'
            "host-ips": variant(LAB, pod_ips=_pod_ips("status.podIP", "status.hostIP")),
            "service-port-8080": variant(LAB, service=_service("    - port: 80\n", "    - port: 8080\n")),
            # an underscore: not a DNS label, so kubectl refuses the Service
            "service-underscore": variant(LAB, service=_service("  name: hello-manual\n", "  name: hello_manual\n")),
            # the hello-world Service's selector copied in
            "selector-copied": variant(LAB, service=_service("spec:\n", "spec:\n  selector:\n    run: hello-world\n")),
            "slice-port-named": variant(LAB, slice=_slice("  - port: 8080\n", "  - name: http\n    port: 8080\n")),
            # only the first pod: it answers, but the other two get no traffic
            "first-ip-only": variant(
                LAB,
                slice=_slice(
                    'endpoints = "\\n".join(f"  - addresses: [{ip}]" for ip in pod_ips)',
                    'endpoints = f"  - addresses: [{pod_ips[0]}]"',
                ),
            ),
            # every pod IP in one endpoint: kube-proxy uses only the first address of each
            "all-ips-one-endpoint": variant(
                LAB,
                slice=_slice(
                    'endpoints = "\\n".join(f"  - addresses: [{ip}]" for ip in pod_ips)',
                    "endpoints = f\"  - addresses: [{', '.join(pod_ips)}]\"",
                ),
            ),
            "slice-label-typo": variant(
                LAB,
                slice=_slice(
                    "    kubernetes.io/service-name: hello-manual\n", "    kubernetes.io/service-name: hello-manuel\n"
                ),
            ),
            # the IPs kept as one string: the EndpointSlice is refused
            "ips-not-split": variant(LAB, pod_ips=_pod_ips("pod_ips = pod_ips[0].split()", "pod_ips = pod_ips")),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no EndpointSlice of your own in namespace g-blank-selectorless" in g.messages["slice-label"]


def test_service_made_with_kubectl_create_has_a_selector_and_a_port_name(graded: dict[str, Graded]) -> None:
    g = graded["created-with-kubectl"]
    assert {k for k, v in g.scores.items() if v == 0} == {"no-selector", "port", "reachable"}
    assert g.total == FULL - 4
    assert (
        "Service hello-manual has a selector (app: hello-manual), so Kubernetes manages its endpoints"
        in g.messages["no-selector"]
    )
    assert (
        "the port of EndpointSlice hello-manual-1 is named '', but the port of Service hello-manual is "
        "named '80-8080': kube-proxy pairs them by name"
    ) in g.messages["port"]


def test_slice_without_label_is_not_connected(graded: dict[str, Graded]) -> None:
    g = graded["no-label"]
    assert {k for k, v in g.scores.items() if v == 0} == {"slice-label", "reachable"}
    assert g.total == FULL - 3
    assert (
        "EndpointSlice hello-manual-1 has no label kubernetes.io/service-name, so nothing connects it to "
        "Service hello-manual"
    ) in g.messages["slice-label"]


def test_service_port_in_the_slice_misses_the_pods(graded: dict[str, Graded]) -> None:
    g = graded["service-port-in-slice"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port", "reachable"}
    assert g.total == FULL - 3
    assert "EndpointSlice hello-manual-1 sends to port 80; the pods listen on 8080" in g.messages["port"]


def test_typed_pod_ips_are_not_the_pods_where_graded(graded: dict[str, Graded]) -> None:
    g = graded["typed-pod-ips"]
    assert {k for k, v in g.scores.items() if v == 0} == {"pod-ips", "addresses", "reachable"}
    assert g.total == FULL - 4
    assert (
        "pod_ips holds 10.244.0.5, 10.244.0.6, 10.244.0.7; the IPs of the hello-world pods are 10.244."
        in g.messages["pod-ips"]
    )
    assert "hint: read them with kubectl get pods -l run=hello-world" in g.messages["pod-ips"]
    assert "your EndpointSlices list 10.244.0.5, 10.244.0.6, 10.244.0.7; the IPs" in g.messages["addresses"]
    assert "not typed addresses" in g.messages["addresses"]


def test_label_typo_reads_no_pod_ips(graded: dict[str, Graded]) -> None:
    g = graded["ips-label-typo"]
    assert {k for k, v in g.scores.items() if v == 0} == {"pod-ips", "addresses", "reachable"}
    assert g.total == FULL - 4
    assert "pod_ips holds nothing; the IPs of the hello-world pods are 10.244." in g.messages["pod-ips"]
    assert "your EndpointSlices list nothing; the IPs of the hello-world pods are" in g.messages["addresses"]


def test_host_ips_are_the_nodes_not_the_pods(graded: dict[str, Graded]) -> None:
    g = graded["host-ips"]
    assert {k for k, v in g.scores.items() if v == 0} == {"pod-ips", "addresses", "reachable"}
    assert g.total == FULL - 4
    found = re.search(r"pod_ips holds (.*); the IPs of the hello-world pods are (.*)", g.messages["pod-ips"])
    assert found, g.messages["pod-ips"]
    assert "10.244." not in found[1] and found[2].startswith("10.244."), found[0]


def test_service_on_port_8080_has_no_port_80(graded: dict[str, Graded]) -> None:
    g = graded["service-port-8080"]
    assert {k for k, v in g.scores.items() if v == 0} == {"service", "reachable"}
    assert g.total == FULL - 3
    assert "Service hello-manual has no port 80 (its ports: 8080)" in g.messages["service"]


def test_service_name_with_underscore_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["service-underscore"]
    assert {k for k, v in g.scores.items() if v == 0} == {"service", "no-selector", "reachable"}
    assert g.total == FULL - 4
    assert (
        "there is no service named 'hello-manual' in namespace g-service-underscore-selectorless; it has none "
        "– and kubectl refused `kubectl apply (the manifest of this cell)`: "
        'The Service "hello_manual" is invalid: metadata.name: Invalid value: "hello_manual"'
    ) in g.messages["service"]


def test_copied_selector_makes_kubernetes_manage_the_endpoints(graded: dict[str, Graded]) -> None:
    g = graded["selector-copied"]
    assert {k for k, v in g.scores.items() if v == 0} == {"no-selector"}
    assert g.total == FULL - 1
    assert (
        "Service hello-manual has a selector (run: hello-world), so Kubernetes manages its endpoints"
        in g.messages["no-selector"]
    )


def test_named_slice_port_does_not_pair_with_the_unnamed_service_port(graded: dict[str, Graded]) -> None:
    g = graded["slice-port-named"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port", "reachable"}
    assert g.total == FULL - 3
    assert (
        "the port of EndpointSlice hello-manual-1 is named 'http', but the port of Service hello-manual is "
        "named '': kube-proxy pairs them by name"
    ) in g.messages["port"]


def test_slice_with_the_first_pod_only_misses_two_addresses(graded: dict[str, Graded]) -> None:
    g = graded["first-ip-only"]
    assert {k for k, v in g.scores.items() if v == 0} == {"addresses"}
    assert g.total == FULL - 1
    one, three = r"10\.244\.[\d.]+", r"10\.244\.[\d.]+, 10\.244\.[\d.]+, 10\.244\.[\d.]+"
    assert re.search(
        rf"your EndpointSlices list {one}; the IPs of the hello-world pods are {three}", g.messages["addresses"]
    ), g.messages["addresses"]


def test_all_addresses_in_one_endpoint_lose_the_addresses(graded: dict[str, Graded]) -> None:
    g = graded["all-ips-one-endpoint"]
    assert g.scores["addresses"] == 0 and g.scores["slice-label"] == 1, g.scores
    assert (
        "lists several addresses in one endpoint: kube-proxy sends traffic only to the first" in g.messages["addresses"]
    )


def test_a_slice_labelled_for_another_service_is_named(graded: dict[str, Graded]) -> None:
    g = graded["slice-label-typo"]
    assert g.scores["slice-label"] == 0 and g.scores["reachable"] == 0, g.scores
    said = g.messages["slice-label"]
    assert "EndpointSlice hello-manual-1 belongs to Service 'hello-manuel'" in said and "not to hello-manual" in said


def test_a_refused_endpointslice_is_named(graded: dict[str, Graded]) -> None:
    g = graded["ips-not-split"]
    assert g.scores["slice-label"] == 0 and g.scores["addresses"] == 0, g.scores
    assert "there is no EndpointSlice of your own" in g.messages["slice-label"]
    assert "kubectl refused `kubectl apply (the manifest of this cell)`" in g.messages["slice-label"]
