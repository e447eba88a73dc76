"""Pure parsing and rendering of the library: iptables-save, dig, resolv.conf, env,
and the `kubectl expose` command/YAML. Samples are real output from the course cluster."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from svclab.dns import DnsAnswer, parse_dig, parse_resolv_conf
from svclab.env import parse_env, service_variables
from svclab.errors import InvalidInput
from svclab.exposing import ExposeSpec
from svclab.k8s.api import exit_status
from svclab.kubeproxy import parse_nat_table, service_chains_from
from svclab.traffic import parse_hostnames

NAT = (Path(__file__).parent / "data" / "iptables-nat.txt").read_text()

DIG_A = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 60974
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: 4a824007fce59c36 (echoed)
;; ANSWER SECTION:
hello-world.default.svc.cluster.local. 30 IN A\t10.96.114.206

"""
DIG_SRV = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 47176
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 2
;; ANSWER SECTION:
kube-dns.kube-system.svc.cluster.local.\t30 IN SRV 0 33 53 kube-dns.kube-system.svc.cluster.local.
kube-dns.kube-system.svc.cluster.local.\t30 IN SRV 0 33 9153 kube-dns.kube-system.svc.cluster.local.
"""
DIG_CNAME = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1201
;; ANSWER SECTION:
ext.default.svc.cluster.local. 5 IN\tCNAME\thello-world.default.svc.cluster.local.
hello-world.default.svc.cluster.local. 5 IN A\t10.96.114.206
"""
DIG_NXDOMAIN = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 46982
;; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: d9ca0dfaa9c2117b (echoed)
"""
RESOLV = """\
search default.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
"""
ENV = """\
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOSTNAME=toolbox
HELLO_WORLD_PORT=tcp://10.96.114.206:80
HELLO_WORLD_PORT_80_TCP=tcp://10.96.114.206:80
HELLO_WORLD_PORT_80_TCP_PROTO=tcp
HELLO_WORLD_PORT_80_TCP_ADDR=10.96.114.206
KUBERNETES_SERVICE_HOST=10.96.0.1
KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443
KUBERNETES_SERVICE_PORT_HTTPS=443
HELLO_WORLD_PORT_80_TCP_PORT=80
KUBERNETES_SERVICE_PORT=443
KUBERNETES_PORT=tcp://10.96.0.1:443
HELLO_WORLD_SERVICE_PORT=80
HELLO_WORLD_SERVICE_HOST=10.96.114.206
MOTD=two
lines
HOME=/root
"""


# -- iptables ------------------------------------------------------------------------------------
def test_nat_table_keeps_rules_in_order_per_chain() -> None:
    chains = parse_nat_table(NAT)
    assert "KUBE-SERVICES" in chains and "DOCKER_OUTPUT" in chains
    svc = chains["KUBE-SVC-DZ6LTOHRG6HQWHYE"]
    assert [r.target for r in svc] == [
        "KUBE-MARK-MASQ",
        "KUBE-SEP-3AHEYCE73BXNDXSB",
        "KUBE-SEP-LBXSPJZXQJRQQF2Q",
        "KUBE-SEP-42JYULMFWYJ4GSOL",
    ]
    assert svc[0].negated_source and svc[1].option("--probability") == "0.33333333349"
    assert svc[1].comment == "default/hello-world -> 10.244.1.3:8080"


def test_service_chains_of_a_nodeport_service() -> None:
    c = service_chains_from(NAT, "hello-world", "default", "svclab-worker")
    assert [(e.chain, e.match, e.jump) for e in c.entries] == [
        ("KUBE-SERVICES", "10.96.114.206:80/tcp (cluster IP)", "KUBE-SVC-DZ6LTOHRG6HQWHYE"),
        ("KUBE-NODEPORTS", "node port 30018/tcp from 127.0.0.0/8", "KUBE-EXT-DZ6LTOHRG6HQWHYE"),
        ("KUBE-NODEPORTS", "node port 30018/tcp", "KUBE-EXT-DZ6LTOHRG6HQWHYE"),
    ]
    assert c.service_chains == ("KUBE-SVC-DZ6LTOHRG6HQWHYE",)
    assert [e.endpoint for e in c.endpoints] == ["10.244.1.3:8080", "10.244.2.2:8080", "10.244.2.3:8080"]
    assert [round(e.probability, 4) for e in c.endpoints] == [0.3333, 0.5, 1.0]
    assert [round(e.share, 3) for e in c.endpoints] == [0.333, 0.333, 0.333]
    assert c.rows()[-1] == (
        "KUBE-SVC-DZ6LTOHRG6HQWHYE",
        "→ 10.244.2.3:8080",
        "KUBE-SEP-42JYULMFWYJ4GSOL",
        "1.0000",
        "33.3%",
    )


def test_service_chains_of_a_loadbalancer_follow_the_ext_chain() -> None:
    c = service_chains_from(NAT, "web", "scratch-svclab")
    assert ("KUBE-SERVICES", "172.18.255.224:80/tcp (loadbalancer IP)", "KUBE-EXT-6CFHXXICECZPBJCK") in [
        (e.chain, e.match, e.jump) for e in c.entries
    ]
    assert c.service_chains == ("KUBE-SVC-6CFHXXICECZPBJCK",)
    assert {e.endpoint: e.share for e in c.endpoints} == {"10.244.1.17:8080": 0.5, "10.244.2.28:8080": 0.5}


def test_service_chains_with_named_ports_and_no_match() -> None:
    c = service_chains_from(NAT, "kube-dns", "kube-system")
    assert len(c.service_chains) == 3
    assert {e.port for e in c.endpoints} == {"dns", "dns-tcp", "metrics"}
    assert len(c.endpoints) == 6
    assert service_chains_from(NAT, "hello-world", "other-ns").endpoints == ()
    assert service_chains_from(NAT, "hello", "default").entries == ()  # a prefix is not a match


# -- DNS and resolv.conf --------------------------------------------------------------------------
def test_dig_a_record() -> None:
    status, records = parse_dig(DIG_A)
    answer = DnsAnswer("hello-world", "A", status, records, "default")
    assert answer.ok and answer.addresses == ["10.96.114.206"]
    assert answer.answered_name == "hello-world.default.svc.cluster.local."
    assert records[0].ttl == 30


def test_dig_srv_cname_and_nxdomain() -> None:
    srv = DnsAnswer("kube-dns.kube-system", "SRV", *parse_dig(DIG_SRV), "default").srv
    assert [(s.port, s.weight, s.target) for s in srv] == [
        (53, 33, "kube-dns.kube-system.svc.cluster.local."),
        (9153, 33, "kube-dns.kube-system.svc.cluster.local."),
    ]
    cname = DnsAnswer("ext", "CNAME", *parse_dig(DIG_CNAME), "default")
    assert cname.cnames == ["hello-world.default.svc.cluster.local."] and cname.addresses == ["10.96.114.206"]
    status, records = parse_dig(DIG_NXDOMAIN)
    assert (status, records) == ("NXDOMAIN", ())
    assert not DnsAnswer("nope", "A", status, records, "default").ok


def test_resolv_conf_and_the_names_tried() -> None:
    conf = parse_resolv_conf(RESOLV + "# comment\n")
    assert conf.nameservers == ("10.96.0.10",) and conf.ndots == 5
    assert conf.search == ("default.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert conf.candidates("web.other")[:2] == ["web.other.default.svc.cluster.local", "web.other.svc.cluster.local"]
    assert conf.candidates("web.other")[-1] == "web.other"
    assert conf.candidates("a.b.c.d.e.f")[0] == "a.b.c.d.e.f"  # ndots reached: tried as is first
    assert conf.candidates("x.") == ["x."]


# -- env --------------------------------------------------------------------------------------------
def test_env_keeps_only_service_variables() -> None:
    env = parse_env(ENV)
    assert env["MOTD"] == "two\nlines"
    found = service_variables(env)
    assert "PATH" not in found and "HOSTNAME" not in found and "MOTD" not in found
    assert found["HELLO_WORLD_SERVICE_HOST"] == "10.96.114.206"
    assert found["HELLO_WORLD_PORT_80_TCP_PORT"] == "80"
    assert found["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert len(found) == 12


def test_exec_status_channel() -> None:
    assert exit_status('{"metadata":{},"status":"Success"}') == (0, "")
    failed = (
        '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit 3",'
        '"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'
    )
    assert exit_status(failed) == (3, "")
    missing = '{"status":"Failure","message":"exec: \\"env\\": executable file not found in $PATH","reason":"Internal"}'
    assert exit_status(missing)[0] == 127 and "not found" in exit_status(missing)[1]


def test_hostnames_of_hello_app_replies() -> None:
    text = "Hello, world!\nVersion: 1.0.0\nHostname: web-1\nHello, world!\nVersion: 1.0.0\nHostname: web-2\n"
    assert parse_hostnames(text) == ["web-1", "web-2"]


# -- expose: command and YAML ---------------------------------------------------------------------
SELECTOR = {"run": "hello-world"}
LABELS = {"app": "hello-world", "run": "hello-world"}


def test_expose_renders_command_and_manifest() -> None:
    spec = ExposeSpec("hello-world", 80, 8080, "NodePort", namespace="lab")
    assert spec.command() == (
        "kubectl expose deployment hello-world --port=80 --target-port=8080 --type=NodePort --namespace=lab"
    )
    m = spec.manifest(SELECTOR, LABELS)
    assert m["metadata"] == {"name": "hello-world", "namespace": "lab", "labels": LABELS}
    assert m["spec"] == {
        "type": "NodePort",
        "selector": SELECTOR,
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
    }


def test_expose_overrides_what_kubectl_has_no_flag_for() -> None:
    spec = ExposeSpec("hello-world", 80, "8080", "NodePort", name="web", node_port=30007, port_name="http")
    args = shlex.split(spec.command())
    assert "--name=web" in args
    override = next(a for a in args if a.startswith("--overrides="))
    assert yaml.safe_load(override.split("=", 1)[1]) == {
        "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30007}]}
    }
    headless = ExposeSpec("hello-world", 80, headless=True)
    assert "--cluster-ip=None" in headless.command()
    assert headless.manifest(SELECTOR, {})["spec"]["clusterIP"] == "None"
    assert headless.manifest(SELECTOR, {})["spec"]["ports"][0]["targetPort"] == 80  # defaults to the port


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 0}, "port 0 is out of range"),
        ({"port": 70000}, "port 70000 is out of range"),
        ({"target_port": 65536}, "target port 65536 is out of range"),
        ({"target_port": "Not_A_Name"}, "neither a number nor a port name"),
        ({"type": "NodePort", "node_port": 31000}, "outside this cluster's range 30000-30049"),
        ({"type": "NodePort", "node_port": 80}, "outside this cluster's range"),
        ({"node_port": 30001}, "needs type NodePort or LoadBalancer"),
        ({"type": "ExternalName"}, "cannot make a Service of type 'ExternalName'"),
        ({"type": "Ingress"}, "cannot make a Service of type 'Ingress'"),
        ({"name": "Web_1"}, "not a valid Service name"),
        ({"headless": True, "type": "NodePort"}, "only a ClusterIP Service can be headless"),
        ({"port_name": "a-very-long-port-name"}, "not a valid port name"),
    ],
)
def test_expose_rejects_bad_input_with_a_hint(
    kwargs: dict, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVCLAB_CONFIG", str(tmp_path))  # no cluster record: the default range
    spec = ExposeSpec(**{"deployment": "hello-world", "port": 80, **kwargs})
    with pytest.raises(InvalidInput, match=message) as caught:
        spec.validate()
    assert caught.value.hint
