"""OS and ExtStorage provider query fields (``gnt-os list``, ``gnt-storage``).

Owns the two field tables, the item records (:class:`OsInfo`,
:class:`ExtStorageInfo`) the diagnose LUs build from per-node reports, and
their contexts.  It must never ask nodes anything.
"""

from dataclasses import dataclass, field as dc_field
from typing import Any, Iterator

from ganeti.query import FS_UNAVAIL, QFT_BOOL, QFT_OTHER, QFT_TEXT, make_table
from ganeti.query_fields.common import attr, field
from ganeti.utils import text as utils_text


@dataclass
class OsInfo:
    """One OS as the cluster sees it (merged over the nodes' reports)."""

    name: str
    valid: bool = False
    hidden: bool = False
    blacklisted: bool = False
    variants: list = dc_field(default_factory=list)
    api_versions: list = dc_field(default_factory=list)
    parameters: list = dc_field(default_factory=list)  # [name, description] pairs
    node_status: dict = dc_field(default_factory=dict)
    os_hvp: dict = dc_field(default_factory=dict)
    osparams: dict = dc_field(default_factory=dict)
    trusted: bool = True


@dataclass
class OsQueryData:
    """What an OS query reads: a list of :class:`OsInfo` (or alike)."""

    oses: list

    def __iter__(self) -> Iterator[Any]:
        return iter(self.oses)


@dataclass
class ExtStorageInfo:
    """One ExtStorage provider as the cluster sees it."""

    name: str
    node_status: dict = dc_field(default_factory=dict)
    nodegroup_status: dict = dc_field(default_factory=dict)
    parameters: list = dc_field(default_factory=list)


@dataclass
class ExtStorageQueryData:
    """What an ExtStorage query reads: a list of :class:`ExtStorageInfo`."""

    providers: list

    def __iter__(self) -> Iterator[Any]:
        return iter(self.providers)


def _sorted(name: str, sort):
    def getter(_ctx: Any, item: Any) -> Any:
        value = getattr(item, name, None)
        return FS_UNAVAIL if value is None else sort(value)

    return getter


def _sort_parameters(params: list) -> list:
    return [list(p) for p in utils_text.nice_sort(params, key=lambda p: p[0])]


OS_FIELDS = make_table(
    [
        field("name", "Name", QFT_TEXT, "OS name", None, attr("name")),
        field(
            "valid", "Valid", QFT_BOOL, "Whether the OS definition is valid", None, attr("valid")
        ),
        field("hidden", "Hidden", QFT_BOOL, "Whether the OS is hidden", None, attr("hidden")),
        field(
            "blacklisted",
            "Blacklisted",
            QFT_BOOL,
            "Whether the OS is blacklisted",
            None,
            attr("blacklisted"),
        ),
        field(
            "variants",
            "Variants",
            QFT_OTHER,
            "OS variants",
            None,
            _sorted("variants", utils_text.nice_sort),
        ),
        field(
            "api_versions",
            "ApiVersions",
            QFT_OTHER,
            "OS API versions",
            None,
            _sorted("api_versions", sorted),
        ),
        field(
            "parameters",
            "Parameters",
            QFT_OTHER,
            "OS parameters ([name, description])",
            None,
            _sorted("parameters", _sort_parameters),
        ),
        field(
            "node_status",
            "NodeStatus",
            QFT_OTHER,
            "What each node reported",
            None,
            attr("node_status"),
        ),
        field(
            "os_hvp",
            "OsHypervisorParams",
            QFT_OTHER,
            "Hypervisor parameters of the OS",
            None,
            attr("os_hvp"),
        ),
        field(
            "osparams",
            "OsParameters",
            QFT_OTHER,
            "Cluster-wide parameters of the OS",
            None,
            attr("osparams"),
        ),
        field("trusted", "Trusted", QFT_BOOL, "Whether the OS is trusted", None, attr("trusted")),
    ]
)

EXTSTORAGE_FIELDS = make_table(
    [
        field("name", "Name", QFT_TEXT, "ExtStorage provider name", None, attr("name")),
        field(
            "node_status",
            "NodeStatus",
            QFT_OTHER,
            "What each node reported",
            None,
            attr("node_status"),
        ),
        field(
            "nodegroup_status",
            "NodegroupStatus",
            QFT_OTHER,
            "Status per node group",
            None,
            attr("nodegroup_status"),
        ),
        field(
            "parameters", "Parameters", QFT_OTHER, "Provider parameters", None, attr("parameters")
        ),
    ]
)
