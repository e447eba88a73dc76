"""The one layer that talks to the Kubernetes API server.

- ``api``: the official Python client for one kubeconfig (``kube()``), every API
  failure mapped once from its HTTP status into :mod:`svclab.errors`, and exec;
- ``objects``: typed, frozen views of Services, pods, EndpointSlices, StatefulSets,
  parsed from the client's objects (pure functions, tested on recorded data);
- ``reads``: one helper per fact (a Service, ready pods, ready endpoints, rollouts, nodes,
  MetalLB pools, kube-proxy and svclab-nodeview on a node);
- ``nodehost``: the address at which this process reaches a node port (127.0.0.1 here, the
  control-plane node's IP from a pod);
- ``tenancy``: namespaces (create, empty, delete), idempotent provisioning, who am I;
- ``manifests``: the one hello-world Deployment and the one toolbox pod;
- ``kubectl``: kubectl, only where the student's own command is the point
  (``kubectl apply`` of their YAML, ``!kubectl`` cells, the cluster's add-ons).

Nothing outside this package imports ``kubernetes`` or matches error text."""
