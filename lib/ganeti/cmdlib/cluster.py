"""Cluster-wide logical units that need no node, and cluster info.

Owns the shape of QueryClusterInfo / OP_CLUSTER_QUERY answers and of
QueryConfigValues / OP_CLUSTER_CONFIG_QUERY fields.  Operations that need
node daemons (init, verify, modify, ...) live in cluster_ops modules.
"""

import platform
import time
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU


def _architecture() -> list[str]:
    return [platform.architecture()[0], platform.machine()]


def cluster_info(cfg: Any) -> dict[str, Any]:
    """The cluster information dict (QueryClusterInfo, /2/info)."""
    cluster = cfg.get_cluster_info()
    master = cfg.get_master_node_name()
    os_hvp = {}
    for os_name, hv_dict in (cluster.os_hvp or {}).items():
        os_hvp[os_name] = {
            hv: params for hv, params in hv_dict.items() if hv in cluster.enabled_hypervisors
        }
    hvparams = {hv: dict(cluster.hvparams.get(hv, {})) for hv in cluster.enabled_hypervisors}
    return {
        "software_version": constants.RELEASE_VERSION,
        "protocol_version": constants.PROTOCOL_VERSION,
        "config_version": constants.CONFIG_VERSION,
        "os_api_version": max(constants.OS_API_VERSIONS),
        "export_version": constants.EXPORT_VERSION,
        "vcs_version": constants.VCS_VERSION,
        "architecture": _architecture(),
        "name": cluster.cluster_name,
        "master": master,
        "default_hypervisor": cluster.enabled_hypervisors[0]
        if cluster.enabled_hypervisors
        else None,
        "enabled_hypervisors": list(cluster.enabled_hypervisors),
        "hvparams": hvparams,
        "os_hvp": os_hvp,
        "beparams": dict(cluster.beparams),
        "osparams": dict(cluster.osparams or {}),
        "ipolicy": cluster.ipolicy,
        "nicparams": dict(cluster.nicparams),
        "ndparams": dict(cluster.ndparams),
        "diskparams": dict(cluster.diskparams),
        "candidate_pool_size": cluster.candidate_pool_size,
        "max_running_jobs": cluster.max_running_jobs,
        "max_tracked_jobs": cluster.max_tracked_jobs,
        "mac_prefix": cluster.mac_prefix,
        "master_netdev": cluster.master_netdev,
        "master_netmask": cluster.master_netmask,
        "use_external_mip_script": cluster.use_external_mip_script,
        "volume_group_name": cluster.volume_group_name,
        "drbd_usermode_helper": cluster.drbd_usermode_helper,
        "file_storage_dir": cluster.file_storage_dir,
        "shared_file_storage_dir": cluster.shared_file_storage_dir,
        "gluster_storage_dir": cluster.gluster_storage_dir,
        "maintain_node_health": cluster.maintain_node_health,
        "ctime": cluster.ctime,
        "mtime": cluster.mtime,
        "uuid": cluster.uuid,
        "tags": sorted(cluster.get_tags()),
        "uid_pool": cluster.uid_pool,
        "default_iallocator": cluster.default_iallocator,
        "default_iallocator_params": cluster.default_iallocator_params,
        "reserved_lvs": cluster.reserved_lvs,
        "primary_ip_version": 6 if cluster.primary_ip_family == 10 else 4,
        "prealloc_wipe_disks": cluster.prealloc_wipe_disks,
        "hidden_os": cluster.hidden_os,
        "blacklisted_os": cluster.blacklisted_os,
        "enabled_disk_templates": cluster.enabled_disk_templates,
        "install_image": cluster.install_image,
        "instance_communication_network": cluster.instance_communication_network,
        "zeroing_image": cluster.zeroing_image,
        "compression_tools": cluster.compression_tools,
        "enabled_user_shutdown": cluster.enabled_user_shutdown,
        "modify_ssh_setup": cluster.modify_ssh_setup,
        "ssh_key_type": cluster.ssh_key_type,
        "ssh_key_bits": cluster.ssh_key_bits,
        "enabled_data_collectors": {
            name: bool(v.get("active", True)) for name, v in (cluster.data_collectors or {}).items()
        },
        "data_collector_interval": {
            name: v.get("interval") for name, v in (cluster.data_collectors or {}).items()
        },
    }


CONFIG_VALUE_FIELDS = frozenset(
    [
        "cluster_name",
        "master_node",
        "drain_flag",
        "watcher_pause",
        "volume_group_name",
        "architecture",
        "config_version",
        "ctime",
        "export_version",
        "mtime",
        "name",
        "os_api_version",
        "protocol_version",
        "software_version",
        "tags",
        "vcs_version",
        "uuid",
    ]
)


def config_values(
    cfg: Any, fields: list[str], drain_flag: bool, watcher_pause: float | None
) -> list:
    """Values of the QueryConfigValues fields, in order."""
    cluster = cfg.get_cluster_info()
    values = []
    for field in fields:
        if field in ("cluster_name", "name"):
            values.append(cluster.cluster_name)
        elif field == "master_node":
            values.append(cfg.get_master_node_name())
        elif field == "drain_flag":
            values.append(drain_flag)
        elif field == "watcher_pause":
            values.append(watcher_pause)
        elif field == "volume_group_name":
            values.append(cluster.volume_group_name)
        elif field == "architecture":
            values.append(_architecture())
        elif field == "config_version":
            values.append(constants.CONFIG_VERSION)
        elif field == "ctime":
            values.append(cluster.ctime)
        elif field == "mtime":
            values.append(cluster.mtime)
        elif field == "export_version":
            values.append(constants.EXPORT_VERSION)
        elif field == "os_api_version":
            values.append(max(constants.OS_API_VERSIONS))
        elif field == "protocol_version":
            values.append(constants.PROTOCOL_VERSION)
        elif field == "software_version":
            values.append(constants.RELEASE_VERSION)
        elif field == "vcs_version":
            values.append(constants.VCS_VERSION)
        elif field == "tags":
            values.append(sorted(cluster.get_tags()))
        elif field == "uuid":
            values.append(cluster.uuid)
        else:
            raise errors.ParameterError(field)
    return values


class LUClusterQuery(NoHooksLU):
    """OP_CLUSTER_QUERY: the cluster information dict."""

    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Any) -> dict:
        return cluster_info(self.cfg)


class LUClusterConfigQuery(NoHooksLU):
    """OP_CLUSTER_CONFIG_QUERY: selected configuration values."""

    REQ_BGL = False

    def check_arguments(self) -> None:
        unknown = [f for f in self.op.output_fields if f not in CONFIG_VALUE_FIELDS]
        if unknown:
            raise errors.OpPrereqError(
                "Unknown output fields selected: %s" % ", ".join(unknown), errors.ECODE_INVAL
            )

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Any) -> list:
        from ganeti.server.luxi_ops import read_watcher_pause

        jq = getattr(self.context, "jq", None)
        drained = jq.is_drained() if jq is not None else False
        return config_values(self.cfg, self.op.output_fields, drained, read_watcher_pause())


_ = (time, locking)
