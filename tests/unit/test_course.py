"""The course notebooks' helpers that need no cluster: namespaces, the chains diagram,
and what fetch refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from svclab import course
from svclab.errors import InvalidInput
from svclab.kubeproxy import service_chains_from

NAT = (Path(__file__).parent / "data" / "iptables-nat.txt").read_text()


def test_namespace_per_notebook_tests_and_hub_users() -> None:
    assert course.namespace_for("lecture-01", {}) == "lecture-01"
    assert course.namespace_for("lecture-01", {course.PREFIX_ENV: "t-nb-ab12-"}) == "t-nb-ab12-lecture-01"
    assert course.namespace_for("demo", {"JUPYTERHUB_USER": "Ada.Lovelace@uni"}) == "ada-lovelace-uni-demo"
    # the test prefix wins over the hub user: test runs never land in a student's namespace
    assert course.namespace_for("x", {"JUPYTERHUB_USER": "ada", course.PREFIX_ENV: "t-"}) == "t-x"


def test_chains_diagram_draws_each_endpoint_with_its_probability() -> None:
    chains = service_chains_from(NAT, "hello-world", "default", "svclab-worker")
    diagram = course.chains_diagram(chains)
    assert diagram.svg.startswith("<svg") and diagram.svg.endswith("</svg>")
    for e in chains.endpoints:
        assert e.endpoint in diagram.text and e.chain in diagram.text
        assert f"p={e.probability:.3f}" in diagram.text
    assert "svclab-worker" in diagram.caption
    assert "<svg" in diagram._repr_html_()


def test_chains_diagram_of_a_service_without_rules_says_so() -> None:
    chains = service_chains_from(NAT, "no-such-service", "default", "svclab-worker")
    assert "no kube-proxy rules" in course.chains_diagram(chains).text


def test_fetch_only_takes_addresses() -> None:
    with pytest.raises(InvalidInput, match="not an IP address"):
        course.fetch("http://example.com/")


def test_show_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(InvalidInput, match="cannot draw"):
        course.show(42)
