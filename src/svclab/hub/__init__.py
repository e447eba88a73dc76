"""The class's JupyterHub on the cluster: `svclab hub up | down | status | add-students`.

The hub (JupyterHub with KubeSpawner, its proxy and the idle culler) runs in
``svclab-hub``; each student's server runs in ``<student>-server`` under the
ServiceAccount ``<student>`` there, which holds exactly the rights of the student's
classroom account. Homes, submissions and the hub's database live in a folder of this
machine that every node mounts, so they outlive servers, the hub and the cluster."""
