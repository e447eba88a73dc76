"""The six widgets. Each is a thin view: it reads its controls, calls one library
function, and renders the returned dataclass with :mod:`svclab.widgets.render`."""

from __future__ import annotations

import threading
import time

import ipywidgets as w

from svclab import dns, env, exposing, kubeproxy, services, traffic
from svclab.errors import InvalidInput
from svclab.k8s import reads
from svclab.k8s.objects import ServiceInfo
from svclab.services import ServiceView
from svclab.settings import port_span, settings
from svclab.widgets import render
from svclab.widgets.base import View, options, row


def _wide() -> w.Layout:
    return w.Layout(width="320px")


def _short() -> w.Layout:
    return w.Layout(width="150px")


def _optional_port(text: str) -> int | str | None:
    """'' → None, '8080' → 8080, 'http' → 'http' (a named port)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


class ExposeBuilder(View):
    """Fill in `kubectl expose`; see the command and YAML; apply; read the addresses."""

    def __init__(self, deployment: str = "hello-world", namespace: str = "default") -> None:
        self.namespace = namespace
        self.deployment = w.Dropdown(
            description="deployment",
            options=options(lambda: services.deployment_names(namespace), deployment),
            value=deployment,
        )
        self.port = w.IntText(description="port", value=80, layout=_short())
        self.target_port = w.Text(description="target port", value="8080", layout=_short(), continuous_update=False)
        self.type = w.Dropdown(description="type", options=list(exposing.SERVICE_TYPES), value="ClusterIP")
        self.name = w.Text(description="name", placeholder=deployment, layout=_short(), continuous_update=False)
        self.node_port = w.Text(description="node port", placeholder="auto", layout=_short(), continuous_update=False)
        self.preview_button = w.Button(description="Preview", icon="eye")
        self.apply_button = w.Button(description="Apply", button_style="primary", icon="check")
        self.plan: exposing.ServicePlan | None = None
        self.created: ServiceInfo | None = None
        super().__init__(
            "Expose a Deployment",
            [
                row(self.deployment, self.type, self.name),
                row(self.port, self.target_port, self.node_port),
                row(self.preview_button, self.apply_button),
            ],
        )
        self.preview_button.on_click(lambda _: self.preview())
        self.apply_button.on_click(lambda _: self.apply())
        for control in (self.deployment, self.port, self.target_port, self.type, self.name, self.node_port):
            control.observe(lambda _: self.preview(), names="value")
        self.preview()

    def _plan(self) -> exposing.ServicePlan:
        node_port = _optional_port(self.node_port.value)
        if isinstance(node_port, str):
            raise InvalidInput(
                f"node port {node_port!r} is not a number", f"leave it empty or give {port_span(settings().node_ports)}"
            )
        return exposing.plan_expose(
            self.deployment.value,
            self.port.value,
            _optional_port(self.target_port.value),
            self.type.value,
            self.name.value.strip() or None,
            node_port,
            namespace=self.namespace,
        )

    def preview(self) -> bool:
        self.plan = None

        def show() -> str:
            self.plan = self._plan()
            return render.plan(self.plan)

        return self.act(show, "checking…", keep=False)

    def apply(self) -> bool:
        def create() -> str:
            plan = self._plan()
            self.created = exposing.apply_plan(plan)
            return render.heading("Created") + render.service_info(self.created) + render.plan(plan)

        return self.act(create, "creating the Service…")


class ServiceExplorer(View):
    """A Service's ports, selector, pods, EndpointSlices and topology; refresh, watch, scale, kill."""

    def __init__(
        self,
        service: str = "hello-world",
        namespace: str = "default",
        deployment: str = "hello-world",
        watch_every: float = 1.0,
        watch_for: float = 600,
    ) -> None:
        self.namespace = namespace
        self.service = w.Dropdown(
            description="service", options=options(lambda: services.service_names(namespace), service), value=service
        )
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.watch = w.ToggleButton(description="Watch", icon="eye", tooltip="refresh every second while on")
        self.deployment = w.Dropdown(
            description="deployment",
            options=options(lambda: services.deployment_names(namespace), deployment),
            value=deployment,
        )
        self.replicas = w.BoundedIntText(description="replicas", value=3, min=0, max=20, layout=_short())
        self.scale_button = w.Button(description="Scale")
        self.kill_button = w.Button(description="Kill a pod", button_style="danger", icon="times")
        self.view: ServiceView | None = None
        self.refreshes = 0
        self._every, self._for = watch_every, watch_for
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        super().__init__(
            "Service explorer",
            [
                row(self.service, self.refresh_button, self.watch),
                row(self.deployment, self.replicas, self.scale_button, self.kill_button),
            ],
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.scale_button.on_click(lambda _: self.scale())
        self.kill_button.on_click(lambda _: self.kill())
        self.service.observe(lambda _: self.refresh(), names="value")
        self.watch.observe(self._toggle_watch, names="value")
        self.refresh()

    def refresh(self) -> bool:
        def read() -> str:
            view = services.describe_service(self.service.value, self.namespace)
            with self._lock:
                self.view, self.refreshes = view, self.refreshes + 1
            return render.service_view(view)

        return self.act(read, "reading…")

    def scale(self) -> bool:
        def do() -> str:
            services.scale(self.deployment.value, self.replicas.value, self.namespace)
            return self._reread(f"scaled {self.deployment.value} to {self.replicas.value}")

        return self.act(do, "scaling…")

    def kill(self) -> bool:
        def do() -> str:
            view = services.describe_service(self.service.value, self.namespace)
            victim = next((p for p in view.pods if p.ready and not p.deleting), None)
            if victim is None:
                raise InvalidInput("no ready pod to kill", "scale the Deployment up first")
            services.kill_pod(victim.name, self.namespace)
            return self._reread(f"killed {victim.name}")

        return self.act(do, "killing a pod…")

    def _reread(self, what: str) -> str:
        view = services.describe_service(self.service.value, self.namespace)
        with self._lock:
            self.view = view
        hint = "" if self.watch.value else " – press Watch to see the Endpoints follow"
        return render.note(what + hint) + render.service_view(view)

    # -- watching: poll with a deadline, re-render only on change ----------------------------------
    def _toggle_watch(self, change: dict) -> None:
        if change["new"]:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch_loop, daemon=True, name="svclab-explorer")
            self._thread.start()
        else:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        if self.watch.value:
            self.watch.value = False

    def _watch_loop(self) -> None:
        deadline = time.monotonic() + self._for
        while not self._stop.is_set() and time.monotonic() < deadline:
            before = self.view.signature() if self.view else None
            try:
                view = services.describe_service(self.service.value, self.namespace)
            except Exception:  # noqa: BLE001 – shown by the next manual refresh
                view = None
            if view is not None and view.signature() != before:
                with self._lock:
                    self.view, self.refreshes = view, self.refreshes + 1
                self.result.value = render.service_view(view)
                self.status.value = render.note(f"watching – updated {time.strftime('%H:%M:%S')}")
            self._stop.wait(self._every)
        self.watch.value = False


class DnsExplorer(View):
    """Resolve a name from inside a pod; show the answer and the resolver's search path."""

    def __init__(self, name: str = "hello-world", namespace: str = "default") -> None:
        self.namespace = w.Text(description="from ns", value=namespace, layout=_short())
        self.name = w.Text(description="name", value=name, layout=_wide())
        self.type = w.Dropdown(description="type", options=list(dns.RECORD_TYPES[:4]), value="A", layout=_short())
        self.resolve_button = w.Button(description="Resolve", button_style="primary", icon="search")
        self.answer: dns.DnsAnswer | None = None
        self.conf: dns.ResolvConf | None = None
        super().__init__("DNS from a pod", [row(self.name, self.type, self.namespace, self.resolve_button)])
        self.resolve_button.on_click(lambda _: self.resolve())

    def resolve(self) -> bool:
        def look_up() -> str:
            ns = self.namespace.value.strip() or "default"
            self.answer = dns.resolve(self.name.value.strip(), self.type.value, ns)
            if self.conf is None or self._conf_ns != ns:
                self.conf, self._conf_ns = dns.resolv_conf(ns), ns
            return render.dns_answer(self.answer, self.conf)

        return self.act(look_up, "asking CoreDNS from the toolbox pod…")

    _conf_ns = ""


class EnvViewer(View):
    """A pod's Service variables, and the before/after demonstration."""

    def __init__(self, namespace: str = "default", deployment: str = "hello-world") -> None:
        self.namespace = namespace
        self.pod = w.Dropdown(description="pod", options=self._pods(), layout=_wide())
        self.reload_button = w.Button(
            description="", icon="refresh", tooltip="reload the pod list", layout=w.Layout(width="40px")
        )
        self.show_button = w.Button(description="Show variables", icon="list")
        self.service = w.Text(description="service", value="env-demo", layout=_short())
        self.deployment = w.Dropdown(
            description="deployment",
            options=options(lambda: services.deployment_names(namespace), deployment),
            value=deployment,
        )
        self.demo_button = w.Button(description="Before/after demo", button_style="primary", icon="play")
        self.env: env.PodEnv | None = None
        self.demo: env.EnvDemo | None = None
        super().__init__(
            "Service environment variables",
            [
                row(self.pod, self.reload_button, self.show_button),
                row(self.service, self.deployment, self.demo_button),
            ],
        )
        self.reload_button.on_click(lambda _: setattr(self.pod, "options", self._pods()))
        self.show_button.on_click(lambda _: self.show())
        self.demo_button.on_click(lambda _: self.run_demo())

    def _pods(self) -> list[str]:
        return options(lambda: [p.name for p in reads.pods(self.namespace) if p.phase == "Running"], None)

    def show(self) -> bool:
        def read() -> str:
            if not self.pod.value:
                raise InvalidInput("choose a pod", "start one with svclab.probe_pod(namespace)")
            self.env = env.pod_env(self.pod.value, self.namespace)
            return render.env_table(self.env)

        return self.act(read, "running env in the pod…")

    def run_demo(self) -> bool:
        def demo() -> str:
            self.demo = env.env_demo(self.service.value.strip(), self.deployment.value, namespace=self.namespace)
            self.pod.options = self._pods()
            return render.env_demo(self.demo)

        return self.act(demo, "starting a pod, creating the Service, starting another pod…")


class LoadBalancingChart(View):
    """Send N requests to a Service and chart which pods answered."""

    def __init__(self, service: str = "hello-world", namespace: str = "default", requests: int = 60) -> None:
        self.namespace = namespace
        self.service = w.Dropdown(
            description="service", options=options(lambda: services.service_names(namespace), service), value=service
        )
        self.requests = w.IntSlider(description="requests", value=requests, min=10, max=500, step=10)
        self.source = w.Dropdown(description="from", options=list(traffic.SOURCES), value="pod", layout=_short())
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.spread: traffic.Spread | None = None
        super().__init__("Load balancing", [row(self.service, self.source), row(self.requests, self.send_button)])
        self.send_button.on_click(lambda _: self.send())

    def send(self) -> bool:
        def go() -> str:
            self.spread = traffic.spread(self.service.value, self.requests.value, self.namespace, self.source.value)
            return render.spread_chart(self.spread)

        return self.act(go, f"sending {self.requests.value} requests…")


class KubeProxyViewer(View):
    """The iptables NAT chains kube-proxy wrote for a Service on one node."""

    def __init__(self, service: str = "hello-world", namespace: str = "default") -> None:
        self.namespace = namespace
        self.service = w.Dropdown(
            description="service", options=options(lambda: services.service_names(namespace), service), value=service
        )
        nodes = options(kubeproxy.nodes, None)
        self.node = w.Dropdown(description="node", options=nodes, value=nodes[0] if nodes else None)
        self.show_button = w.Button(description="Show rules", button_style="primary", icon="table")
        self.chains: kubeproxy.ServiceChains | None = None
        super().__init__("kube-proxy rules", [row(self.service, self.node, self.show_button)])
        self.show_button.on_click(lambda _: self.show())

    def show(self) -> bool:
        def read() -> str:
            self.chains = kubeproxy.service_chains(self.service.value, self.namespace, self.node.value)
            return render.chains(self.chains)

        return self.act(read, "reading iptables on the node…")
