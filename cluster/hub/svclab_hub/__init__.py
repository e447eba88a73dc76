"""svclab's part of the class's JupyterHub, installed into the hub image: who may log in
(:class:`SvclabAuthenticator`) and where a student's server runs (:class:`SvclabSpawner`)."""

from svclab_hub.auth import SvclabAuthenticator
from svclab_hub.spawner import SvclabSpawner

__all__ = ["SvclabAuthenticator", "SvclabSpawner"]
