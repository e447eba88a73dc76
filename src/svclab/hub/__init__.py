"""The class's JupyterHub on the cluster: `svclab hub up | down | status | add-students`.

The hub (JupyterHub with KubeSpawner, its proxy and the idle culler) runs in
``svclab-hub``; each student's server runs in ``<student>-server`` with the token of the
student's classroom account, so a kernel there holds exactly the student's rights, as
their kubeconfig would. Homes, submissions and the hub's database live in a folder of this
machine that every node mounts, so they outlive servers, the hub and the cluster."""
