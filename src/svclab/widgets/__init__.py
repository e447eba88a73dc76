"""ipywidgets views over the svclab library: ``display(svclab.ServiceExplorer())``."""

from svclab.widgets.base import View, html_text
from svclab.widgets.views import (
    DnsExplorer,
    EnvViewer,
    ExposeBuilder,
    KubeProxyViewer,
    LoadBalancingChart,
    ServiceExplorer,
)

__all__ = [
    "DnsExplorer",
    "EnvViewer",
    "ExposeBuilder",
    "KubeProxyViewer",
    "LoadBalancingChart",
    "ServiceExplorer",
    "View",
    "html_text",
]
