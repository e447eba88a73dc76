"""svclab's registry feeds a second cluster: `svclab images serve`'s registry on this machine,
a single-node kind cluster of its own (never the course's `svclab`) whose containerd mirrors
gcr.io to it, hello-app's preloaded image removed from that node's containerd, and hello-world pulled back
through the mirror. Nothing is skipped: a missing build or engine fails with the fix."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from svclab import runner
from svclab.cluster.config import kind_config
from svclab.cluster.images import ImageBuilder
from svclab.cluster.registry import Registry
from svclab.cluster.registry_push import push_images
from svclab.errors import SvclabError
from svclab.settings import NODE_PORT_RANGE, settings

pytestmark = pytest.mark.live
NAME = "svclab-mirror"  # never the course's cluster
NODE = f"{NAME}-control-plane"
HELLO = "gcr.io/google-samples/hello-app:1.0"


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[Registry, str]]:
    """svclab's registry, filled with every image a node runs; stopped afterwards unless it
    was running before."""
    s = settings()
    builder = ImageBuilder(s)
    if stale := [step.name for step in builder.stale()]:
        pytest.fail(f"the images are not built ({', '.join(stale)}): run `svclab build`", pytrace=False)
    started = time.monotonic()
    builder.build(extra=("registry",))  # the registry alone, if it is not built yet
    print(f"\nregistry build: {time.monotonic() - started:.1f}s")
    reg = Registry(s)
    ours = reg.running() is None
    try:
        addr = reg.start()
        pushed = push_images(
            builder.preload_images(), addr, s.cache_dir / "work/registry-push-test", reg.root / "pushed.json",
            lambda image, what, sent: None,
        )  # fmt: skip
        print(f"push: {len(pushed.pushed)} images, {pushed.bytes_sent / 1e6:.0f} MB in {pushed.seconds:.1f}s")
        yield reg, addr
    except SvclabError as exc:
        pytest.fail(f"{exc.message}\nhint: {exc.hint}", pytrace=False)
    finally:
        if ours:
            reg.stop()


@pytest.fixture(scope="module")
def mirrored_cluster(registry: tuple[Registry, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A single-node kind cluster from svclab's node image whose containerd pulls through the
    registry; its own kubeconfig; deleted afterwards."""
    s = settings()
    kind = str(s.bin_dir / "kind")
    folder = tmp_path_factory.mktemp("mirror")
    config = yaml.safe_load(kind_config(ImageBuilder(s).node_image, NODE_PORT_RANGE, registry[1]))
    config["name"] = NAME
    config["nodes"] = [{k: v for k, v in config["nodes"][0].items() if k != "extraPortMappings"}]  # no host ports
    (folder / "kind.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    kubeconfig = folder / "kubeconfig"
    runner.run([kind, "delete", "cluster", "--name", NAME], timeout=300, check=False)  # a leftover of a killed run
    started = time.monotonic()
    try:
        runner.run(
            [kind, "create", "cluster", "--name", NAME, "--config", folder / "kind.yaml", "--kubeconfig", kubeconfig],
            timeout=600,
        )
        kubectl(kubeconfig, "wait", "node", "--all", "--for=condition=Ready", "--timeout=240s", timeout=260)
        print(f"second cluster up (node Ready): {time.monotonic() - started:.1f}s")
        yield kubeconfig
    except SvclabError as exc:
        pytest.fail(f"the second cluster did not come up: {exc.message}", pytrace=False)
    finally:
        runner.run([kind, "delete", "cluster", "--name", NAME], timeout=300, check=False)


def kubectl(kubeconfig: Path, *args: str, timeout: float = 60) -> str:
    return runner.run([settings().bin_dir / "kubectl", "--kubeconfig", kubeconfig, *args], timeout=timeout).stdout


def node(*args: str) -> str:
    return runner.run(["docker", "exec", NODE, *args], timeout=60).stdout


def images_on_node() -> dict[str, str]:
    """The node's containerd images: name → manifest digest."""
    rows = node("ctr", "-n", "k8s.io", "images", "ls").splitlines()[1:]
    return {row.split()[0]: row.split()[2] for row in rows}


def test_hello_world_is_pulled_through_the_mirror(registry: tuple[Registry, str], mirrored_cluster: Path) -> None:
    reg, addr = registry
    assert f'endpoint = ["http://{addr}"]' in node("cat", "/etc/containerd/config.toml")
    preloaded = images_on_node()[HELLO]
    # every record of it (CRI keeps one by image id too), so that its content goes as well
    records = [name for name, digest in images_on_node().items() if digest == preloaded]
    node("ctr", "-n", "k8s.io", "images", "rm", "--sync", *records)  # the node image has no crictl
    assert preloaded not in images_on_node().values()
    mark = reg.log.stat().st_size
    started = time.monotonic()
    kubectl(mirrored_cluster, "create", "deployment", "hello-world", f"--image={HELLO}")
    kubectl(mirrored_cluster, "rollout", "status", "deployment/hello-world", "--timeout=120s", timeout=150)
    print(f"hello-world pulled and Ready: {time.monotonic() - started:.1f}s")
    pushed = json.loads((reg.root / "pushed.json").read_text())[HELLO]["manifest"]
    assert images_on_node()[HELLO] == pushed  # the registry's manifest, not the preloaded one
    log = reg.log.read_bytes()[mark:].decode(errors="replace").splitlines()
    served = [line for line in log if "containerd/" in line]  # the access-log lines of the node's pulls
    assert any("HEAD /v2/google-samples/hello-app/manifests/1.0?ns=gcr.io" in line for line in served), served
    blobs = [line for line in served if "GET /v2/google-samples/hello-app/blobs/" in line]
    fetched = {line.split("/blobs/")[1].split("?")[0] for line in blobs}
    assert len(fetched) == 2, served  # its config and its one layer
    pod = kubectl(mirrored_cluster, "get", "pods", "-l", "app=hello-world", "-o", "jsonpath={.items[0].status.phase}")
    assert pod == "Running"
