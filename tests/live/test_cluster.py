"""The course cluster itself: nodes, DNS, hello-world and the three Service
types reached the way students reach them."""

from __future__ import annotations

import pytest

from svclab import health, runner
from svclab.cluster import kind
from svclab.cluster.images import ImageBuilder
from svclab.k8s import reads
from svclab.k8s.kubectl import Kubectl
from svclab.poll import poll
from svclab.settings import settings

from .helpers import eventually, http_get

pytestmark = pytest.mark.live
HELLO = "gcr.io/google-samples/hello-app:1.0"
TOOLBOX = "docker.io/svclab/toolbox:v1"


def hostnames(url: str, requests: int = 30) -> set[str]:
    """Hostname lines of hello-app's replies to ``requests`` fresh connections."""
    names = set()
    for _ in range(requests):
        body = http_get(url)
        assert body.startswith("Hello, world!\nVersion: 1.0.0\n"), body
        names.add(body.split("Hostname: ")[1].strip())
    return names


def hello_deployment(k: Kubectl, ns: str) -> None:
    """The course's own commands, in the test's namespace."""
    k("create", "deployment", "hello-world", f"--image={HELLO}", "--replicas=3", "-n", ns)
    k("rollout", "status", "deployment/hello-world", "-n", ns, "--timeout=120s", timeout=150)


def run_in_pod(k: Kubectl, ns: str, script: str) -> str:
    """Run a shell script in a toolbox pod and return its output."""
    k("run", "probe", f"--image={TOOLBOX}", "--restart=Never", "-n", ns, "--command", "--", "sh", "-c", script)
    k("wait", "pod/probe", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=90s", timeout=120)
    return k("logs", "probe", "-n", ns)


def test_three_ready_nodes(cluster: Kubectl) -> None:
    nodes = cluster.json("get", "nodes")["items"]
    ready = {
        n["metadata"]["name"]
        for n in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])
    }
    assert ready == {"svclab-control-plane", "svclab-worker", "svclab-worker2"}
    versions = {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes}
    assert versions == {"v1.34.4"}


def test_node_image_preloads_every_image_kubeadm_lists(cluster: Kubectl) -> None:
    s = settings()
    kubeadm = s.build_dir / "k8s/kubeadm"
    listed = runner.run([kubeadm, "config", "images", "list", f"--kubernetes-version={s.kubernetes_version}"])
    preload = set(ImageBuilder(s).preload_images())
    assert set(listed.stdout.split()) <= preload
    on_node = runner.run(["docker", "exec", "svclab-worker", "ctr", "-n", "k8s.io", "images", "ls", "-q"]).stdout
    assert preload <= set(on_node.split())


def test_hello_world_is_ready_with_course_labels(cluster: Kubectl) -> None:
    deploy = cluster.json("get", "deployment", "hello-world", "-n", "default")
    assert deploy["status"].get("readyReplicas") == 3
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert labels["run"] == "hello-world" and labels["app"] == "hello-world"
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == HELLO


def test_coredns_resolves_the_api_service_from_a_pod(cluster: Kubectl, namespace: str) -> None:
    out = run_in_pod(cluster, namespace, "dig +short kubernetes.default.svc.cluster.local")
    api_ip = cluster.json("get", "service", "kubernetes", "-n", "default")["spec"]["clusterIP"]
    assert out.split() == [api_ip]


def test_clusterip_service_answers_inside_the_cluster(cluster: Kubectl, namespace: str) -> None:
    hello_deployment(cluster, namespace)
    cluster("expose", "deployment", "hello-world", "--port=80", "--target-port=8080", "-n", namespace)
    out = run_in_pod(
        cluster,
        namespace,
        "for i in $(seq 30); do wget -qO- http://hello-world && exit 0; sleep 1; done; exit 1",
    )
    assert out.startswith("Hello, world!\nVersion: 1.0.0\nHostname: hello-world-")


def test_nodeport_from_this_machine_reaches_several_pods(cluster: Kubectl, namespace: str) -> None:
    hello_deployment(cluster, namespace)
    cluster(
        "expose", "deployment", "hello-world", "--port=80", "--target-port=8080", "--type", "NodePort", "-n", namespace
    )
    port = cluster.json("get", "service", "hello-world", "-n", namespace)["spec"]["ports"][0]["nodePort"]
    assert port in settings().node_ports
    url = f"http://127.0.0.1:{port}/"
    eventually(lambda: http_get(url))
    names = hostnames(url)
    assert len(names) > 1, f"all 30 requests answered by {names}"
    assert all(n.startswith("hello-world-") for n in names)


def test_loadbalancer_gets_an_external_ip_that_answers(cluster: Kubectl, namespace: str) -> None:
    hello_deployment(cluster, namespace)
    cluster(
        "expose",
        "deployment",
        "hello-world",
        "--port=80",
        "--target-port=8080",
        "--type",
        "LoadBalancer",
        "-n",
        namespace,
    )

    def external_ip() -> str | None:
        ingress = cluster.json("get", "service", "hello-world", "-n", namespace)["status"]["loadBalancer"]
        return (ingress.get("ingress") or [{}])[0].get("ip")

    ip = eventually(external_ip, timeout=60)
    pool = cluster.json("get", "ipaddresspools.metallb.io", "svclab", "-n", "metallb-system")["spec"]["addresses"]
    assert ip.rsplit(".", 1)[0] in pool[0]
    body = eventually(lambda: http_get(f"http://{ip}/"), timeout=60)
    assert body.startswith("Hello, world!\n")


def test_up_revives_a_node_that_came_back_without_dns_and_with_a_silent_kubelet() -> None:
    """What a host restart can leave behind: a node whose rules to Docker's embedded DNS are
    gone (so its kubelet cannot resolve the control plane) and whose Ready condition is stale.
    `svclab up` must see through the stale Ready and repair the rules."""
    node = "svclab-worker2"

    def node_sh(script: str) -> int:
        return runner.run(["docker", "exec", node, "sh", "-c", script], check=False).returncode

    assert node_sh("iptables -t nat -F DOCKER_OUTPUT && iptables -t nat -F DOCKER_POSTROUTING") == 0
    assert node_sh("getent hosts svclab-control-plane") != 0, "the flushed node still resolves names"
    assert node_sh("systemctl stop kubelet") == 0
    try:
        poll(lambda: node in reads.silent_nodes(), timeout=120, every=2, what=f"{node}'s lease to go stale")
        assert f"no word from the kubelet of {node}" in (kind._nodes_not_ready() or "")
    finally:
        assert node_sh("systemctl start kubelet") == 0  # it cannot reach the control plane yet
    said: list[str] = []
    kind.Cluster().up(report=lambda step, line: said.append(line))
    assert any(line.startswith(f"{node}: repaired the rules for Docker's embedded DNS") for line in said), said
    assert node_sh("getent hosts svclab-control-plane") == 0
    assert node not in reads.silent_nodes()
    poll(lambda: not health.problems(), timeout=240, what="the cluster to be healthy again")
