"""The building blocks of lab checks. Each returns a ``CheckFn`` (``Context -> Verdict``)
that looks at what the student actually built and says what was found, what was
expected, and a hint. A new check goes into the module of what it judges:

- ``base``: combinators (``in_order``, ``with_hint``, ``per_context``) and the missing-object verdict;
- ``services``: a Service's type, ports, selector, endpoints, headless, ExternalName;
- ``reach``: HTTP from a pod, from this machine, over node ports and external IPs;
- ``dns``: answers from the namespace's toolbox pod (A, SRV, CNAME);
- ``workloads``: StatefulSets, a pod's environment, hand-made EndpointSlices;
- ``answers``: values the student read and stored in a variable.

Checks that depend on convergence (endpoints, DNS, kube-proxy) poll with a deadline
through :func:`svclab.labs.checks.base.settle`; they print nothing themselves."""
