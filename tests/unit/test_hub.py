"""The hub's parts that need no cluster: passwords, the objects of a student's server
namespace, the data folder's mount and the class-list file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from svclab.cli.hub import _class_list
from svclab.cluster.config import kind_config
from svclab.constants import HUB_MOUNT, STUDENT_LABEL
from svclab.hub import objects
from svclab.hub.passwords import hash_password, new_password
from svclab.settings import NODE_PORT_RANGE

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"token": "dG9rZW4=", "ca.crt": "Y2E=", "namespace": "c3ZjbGFiLWNsYXNzcm9vbQ=="}


def _hub_side_passwords():  # type: ignore[no-untyped-def]
    """cluster/hub/svclab_hub/passwords.py, the check the hub's authenticator runs."""
    spec = importlib.util.spec_from_file_location("hub_passwords", ROOT / "cluster/hub/svclab_hub/passwords.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hub_accepts_the_password_svclab_made_and_nothing_else() -> None:
    matches = _hub_side_passwords().matches
    password = new_password()
    stored = hash_password(password)
    assert password not in stored and stored.startswith("scrypt$")
    assert matches(password, stored)
    assert not matches(password + "x", stored)
    assert not matches(password, hash_password(password + "x"))
    assert hash_password(password) != stored  # salted
    for broken in ("", "scrypt$1$2", "bcrypt$x$y$z$00$00", f"{stored}$extra"):
        assert not matches(password, broken)


def test_new_passwords_are_long_and_different() -> None:
    made = {new_password() for _ in range(50)}
    assert len(made) == 50
    assert all(len(p) == 12 and p.isalnum() for p in made)


def test_a_server_namespace_gives_the_hub_one_pod_and_the_student_their_token_only() -> None:
    made = {(o["kind"], o["metadata"]["name"]): o for o in objects.server_objects("alice", CREDENTIALS)}
    ns = made[("Namespace", "alice-server")]
    assert ns["metadata"]["labels"][STUDENT_LABEL] == "alice"  # `classroom remove alice` deletes it
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(o["metadata"].get("namespace") == "alice-server" for k, o in made.items() if k[0] != "Namespace")
    binding = made[("RoleBinding", objects.SPAWNER_ROLE)]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hub", "namespace": "svclab-hub"}]
    assert [k for k in made if k[0] == "RoleBinding"] == [("RoleBinding", objects.SPAWNER_ROLE)]  # none for alice
    rules = made[("Role", objects.SPAWNER_ROLE)]["rules"]
    assert {r for rule in rules for r in rule["resources"]} == {"pods", "events"}
    token = made[("Secret", objects.TOKEN)]
    assert token["data"] == {"token": "dG9rZW4=", "ca.crt": "Y2E="}  # the classroom account's, nothing else
    assert made[("ResourceQuota", "svclab-server")]["spec"]["hard"]["pods"] == "2"


def test_a_students_volumes_are_their_own_folders_and_never_the_hubs_database() -> None:
    volumes = objects.student_volumes("alice")
    claims = {
        o["metadata"]["name"]: o
        for o in objects.server_objects("alice", CREDENTIALS)
        if o["kind"] == "PersistentVolumeClaim"
    }
    assert set(claims) == {"home", "inbound", "exchange"}
    paths = {}
    for pv in volumes:
        ref = pv["spec"]["claimRef"]
        assert ref["namespace"] == "alice-server"
        assert claims[ref["name"]]["spec"]["volumeName"] == pv["metadata"]["name"]  # bound to each other
        paths[ref["name"]] = pv["spec"]["hostPath"]["path"]
    assert paths == {
        "home": f"{HUB_MOUNT}/home/alice",
        "inbound": f"{HUB_MOUNT}/inbound/alice",
        "exchange": f"{HUB_MOUNT}/exchange/svclab",
    }
    db = objects.db_volume()[0]["spec"]["hostPath"]["path"]
    assert all(not p.startswith(db) and not db.startswith(p + "/") for p in paths.values())
    bob = {pv["spec"]["hostPath"]["path"] for pv in objects.student_volumes("bob")}
    assert f"{HUB_MOUNT}/home/alice" not in bob


def test_the_hubs_config_mounts_exactly_the_claims_svclab_makes() -> None:
    config = (ROOT / "cluster/hub/jupyterhub_config.py").read_text()
    for claim in ("home", "inbound", "exchange"):
        assert f'"{claim}"' in config
    assert '"subPath": "outbound", "readOnly": True' in config
    assert '"subPath": "feedback", "readOnly": True' in config
    assert "hostPath" not in config  # pods refer to claims only (Pod Security restricted)


def test_every_node_mounts_the_hubs_data_folder(tmp_path: Path) -> None:
    config = yaml.safe_load(kind_config("img", NODE_PORT_RANGE, hub_dir=tmp_path))
    for node in config["nodes"]:
        assert node["extraMounts"] == [{"hostPath": str(tmp_path), "containerPath": HUB_MOUNT}]
    assert "extraMounts" not in kind_config("img", NODE_PORT_RANGE)


def test_a_class_list_is_one_name_a_line_with_comments(tmp_path: Path) -> None:
    f = tmp_path / "class.txt"
    f.write_text("# spring class\nalice\n\n  bob   # late joiner\n")
    assert _class_list(f) == ["alice", "bob"]
    with pytest.raises(Exception, match="cannot read the class list"):
        _class_list(tmp_path / "missing.txt")


def test_add_students_without_a_name_says_how_to_give_them() -> None:
    from typer.testing import CliRunner

    from svclab.cli import app

    result = CliRunner().invoke(app, ["hub", "add-students"])
    assert result.exit_code == 1
    assert "no student names given" in result.output and "--from class.txt" in result.output
    assert "Traceback" not in result.output
