"""Who this kernel works for, read from its kubeconfig alone.

A student of a class (``svclab classroom add alice``) holds a kubeconfig for the
ServiceAccount ``alice`` in ``svclab-classroom``; the API server says so in a
SelfSubjectReview. Labs and lectures then work in that student's namespaces,
``alice-<lab>`` and ``alice-<lecture>``, which the instructor provisioned; anyone else
(one person with their own kind cluster, the instructor) is not a student."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from svclab.constants import CLASSROOM_NAMESPACE, SERVER_SUFFIX
from svclab.errors import APIError
from svclab.k8s import tenancy
from svclab.settings import settings

#: a student's name: a DNS label short enough for ``<name>-lecture-05-client`` to be one too
STUDENT_NAME = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")
_SERVICE_ACCOUNT_USER = re.compile(rf"system:serviceaccount:{CLASSROOM_NAMESPACE}:(?P<name>{STUDENT_NAME.pattern})")


def student_of(username: str) -> str | None:
    """The student a user name belongs to, or None (``system:serviceaccount:svclab-classroom:alice`` → alice)."""
    found = _SERVICE_ACCOUNT_USER.fullmatch(username)
    return found["name"] if found else None


def student() -> str | None:
    """The student this kernel's kubeconfig belongs to; None for anyone else."""
    return _student_for(settings().kubeconfig, _stamp(settings().kubeconfig))


@cache
def _student_for(path: Path, stamp: float) -> str | None:
    try:
        return student_of(tenancy.whoami())
    except APIError:  # an API server without SelfSubjectReview: not a classroom cluster
        return None


def _stamp(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


def namespace(student_name: str, name: str) -> str:
    """The namespace a student works in for lab or lecture ``name``."""
    return f"{student_name}-{name}"


def server_namespace(student_name: str) -> str:
    """The namespace of a student's server on the class's hub."""
    return f"{student_name}{SERVER_SUFFIX}"
