"""Names that several rooms of svclab must agree on: labels, images, pod names."""

from __future__ import annotations

#: the course's application image (svclab builds a compatible one offline)
HELLO_IMAGE = "gcr.io/google-samples/hello-app:1.0"
#: dig, curl, env and a shell: the image of the toolbox pod
TOOLBOX_IMAGE = "docker.io/svclab/toolbox:v1"
#: the pod each course, lab and grading namespace runs its DNS and HTTP probes from
TOOLBOX_POD = "toolbox"
#: marks svclab's toolbox pods (value: what the pod is for)
ROLE_LABEL = "svclab.dev/role"
#: where the grading pod's token and CA are mounted, and the variable that names a grading
#: kernel's namespace (svclab.labs.session reads it)
GRADING_TOKEN_DIR = "/var/run/secrets/svclab"
GRADING_NAMESPACE_ENV = "SVCLAB_NAMESPACE"

#: namespace labels: which part of svclab made the namespace (`svclab reset` deletes them all)
LAB_LABEL = "svclab.dev/lab"  # value: the lab
GRADING_LABEL = "svclab.dev/grading"
DEMO_LABEL = "svclab.dev/demo"  # value: the lecture or demo notebook
TEST_LABEL = "svclab.dev/test"
STUDENT_LABEL = "svclab.dev/student"  # value: the student whose namespace it is
COURSE_NAMESPACE_LABELS = (LAB_LABEL, GRADING_LABEL, DEMO_LABEL, TEST_LABEL)
#: the pod a submission runs in, in its grading namespace (svclab.grading.sandbox); checks never see it
GRADING_KERNEL_POD = "grading-kernel"
ROLE_LABEL = "svclab.dev/role"

#: the namespaces where a student's code acts (their own, and the grading ones) admit only
#: unprivileged pods: a privileged or host-path pod would be root on a node, outside every RBAC rule
POD_SECURITY_LABELS = {"pod-security.kubernetes.io/enforce": "baseline"}

#: where `svclab classroom` keeps each student's ServiceAccount and token (students have no rights there)
CLASSROOM_NAMESPACE = "svclab-classroom"
#: the class's JupyterHub (`svclab hub up`); each student's server runs in ``<student>-server``
#: with the token of the student's classroom account, so it holds exactly the student's rights
HUB_NAMESPACE = "svclab-hub"
SERVER_SUFFIX = "-server"
#: where every node sees the hub's data folder on the host (homes, submissions, the hub's database)
HUB_MOUNT = "/srv/svclab-hub"

#: the label the EndpointSlice controller and kube-proxy use to tie a slice to its Service
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"

#: how a grading kernel marks output written on an unfit cluster; autograde looks for it
ENVIRONMENT_MARKER = "SVCLAB-ENVIRONMENT-ERROR:"
