# The class's JupyterHub (`svclab hub up` puts this file in the ConfigMap hub-config).
# The hub and its proxy (CHP, a subprocess of the hub) run in one pod; CHP's API listens
# on 127.0.0.1 only, so no student pod can reach it. Each student's server runs in
# <student>-server with the token of the student's classroom account (the Secret
# student-token there), so it has the rights of the student's own namespaces and nothing
# else; the pod's own ServiceAccount gets no token. What the deployment sets comes in as
# environment variables (the Deployment of svclab.cluster.hub).
import os

from svclab_hub import SvclabAuthenticator, SvclabSpawner

c = get_config()  # noqa: F821 (JupyterHub provides it)
env = os.environ

c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.hub_bind_url = "http://:8081"
c.JupyterHub.hub_connect_url = env["SVCLAB_HUB_CONNECT_URL"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/db/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/db/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = False  # a restarted hub finds its students' servers again
c.JupyterHub.concurrent_spawn_limit = int(env.get("SVCLAB_SPAWN_LIMIT", "8"))
c.JupyterHub.authenticator_class = SvclabAuthenticator
c.SvclabAuthenticator.secret_namespace = "svclab-classroom"  # with the class's accounts
c.JupyterHub.spawner_class = SvclabSpawner

c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180  # N servers starting at once on a small machine
c.Spawner.http_timeout = 90
c.KubeSpawner.image = env["SVCLAB_SINGLEUSER_IMAGE"]
c.KubeSpawner.image_pull_policy = "Never"  # built offline and loaded on the nodes: never pulled
c.KubeSpawner.cmd = ["/usr/local/bin/svclab-singleuser"]
c.KubeSpawner.automount_service_account_token = False
c.KubeSpawner.uid = 1000
c.KubeSpawner.gid = 100
c.KubeSpawner.fs_gid = 100
c.KubeSpawner.container_security_context = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
c.KubeSpawner.extra_labels = {"svclab.dev/student": "{username}"}
c.KubeSpawner.environment = {
    "SVCLAB_KUBECONFIG": "/tmp/svclab/kubeconfig",
    "KUBECONFIG": "/tmp/svclab/kubeconfig",
    "SVCLAB_TOKEN_DIR": "/var/run/secrets/svclab",
}
c.KubeSpawner.cpu_guarantee = 0.05
c.KubeSpawner.cpu_limit = 1.0
c.KubeSpawner.mem_guarantee = "192M"
c.KubeSpawner.mem_limit = env.get("SVCLAB_SERVER_MEMORY", "768M")
c.KubeSpawner.k8s_api_request_timeout = 10
c.KubeSpawner.k8s_api_request_retry_timeout = 60
c.KubeSpawner.delete_grace_period = 1
# Three claims per student in <student>-server (svclab.hub.objects): their home, their own
# inbox of submissions, and the course's exchange, of which the pod mounts only the released
# labs and the feedback, read-only. nbgrader's exchange root is a scratch folder around them,
# so a student sees no one else's submissions.
exchange = "/srv/nbgrader/exchange/svclab"
c.KubeSpawner.volumes = [
    *({"name": n, "persistentVolumeClaim": {"claimName": n}} for n in ("home", "inbound", "exchange")),
    {"name": "exchange-root", "emptyDir": {}},
    {"name": "student-token", "secret": {"secretName": "student-token", "defaultMode": 0o440}},
]
c.KubeSpawner.volume_mounts = [
    {"name": "home", "mountPath": "/home/jovyan"},
    {"name": "student-token", "mountPath": "/var/run/secrets/svclab", "readOnly": True},
    {"name": "exchange-root", "mountPath": "/srv/nbgrader/exchange"},
    {"name": "exchange", "mountPath": f"{exchange}/outbound", "subPath": "outbound", "readOnly": True},
    {"name": "exchange", "mountPath": f"{exchange}/feedback", "subPath": "feedback", "readOnly": True},
    {"name": "inbound", "mountPath": f"{exchange}/inbound"},
]

culler = "jupyterhub-idle-culler"
c.JupyterHub.services = [
    {
        "name": culler,
        "command": [
            "python3",
            "-m",
            "jupyterhub_idle_culler",
            "--url=http://127.0.0.1:8081/hub/api",
            f"--timeout={env.get('SVCLAB_CULL_AFTER', '3600')}",
            f"--cull-every={env.get('SVCLAB_CULL_EVERY', '300')}",
            "--concurrency=4",
        ],
    },
    {"name": "svclab", "api_token": env["SVCLAB_HUB_TOKEN"]},  # the instructor's CLI
]
c.JupyterHub.load_roles = [
    {
        "name": culler,
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": [culler],
    },
    {
        "name": "svclab-instructor",
        "scopes": ["admin:users", "admin:servers", "list:users", "read:users", "tokens"],
        "services": ["svclab"],
    },
]
