"""The ssconf values of a configuration, formatted as Ganeti 3.0 writes them.

Owns only the formatting (orders, separators, value spelling); must never
write files (ssconf.SimpleStore does, on every node).
"""

from typing import Any

from ganeti import constants, objects
from ganeti.utils import text as utils_text

# nice-sort keys of names seen before: instance lists are re-sorted after
# every change, and computing keys dominates that sort at 10,000 instances
_SORT_KEYS: dict[str, list] = {}
_SORT_KEYS_MAX = 200000


def _nice_sorted(names: list[str]) -> list[str]:
    if len(_SORT_KEYS) > _SORT_KEYS_MAX:
        _SORT_KEYS.clear()
    cache = _SORT_KEYS
    for name in names:
        if name not in cache:
            cache[name] = utils_text.nice_sort_key(name)
    return sorted(names, key=cache.__getitem__)


def compute_ssconf_values(data: objects.ConfigData) -> dict[str, str]:
    """Every ssconf key with its content, formatted as Ganeti writes it:
    lines joined by newlines (the file writer adds the final newline)."""
    cluster = data.cluster
    join = "\n".join
    nodes = utils_text.nice_sort(data.nodes.values(), key=lambda n: n.name)
    by_uuid = [data.nodes[u] for u in sorted(data.nodes)]
    mcs = [n for n in by_uuid if n.master_candidate or n.uuid == cluster.master_node]
    groups = utils_text.nice_sort(data.nodegroups.values(), key=lambda g: g.name)
    master = data.nodes.get(cluster.master_node)

    def ssh_port(node: objects.Node) -> str:
        group = data.nodegroups.get(node.group) or objects.NodeGroup(ndparams={})
        return str(cluster.fill_ndparams(node, group).get(constants.ND_SSH_PORT))

    def uid_range(rng: Any) -> str:
        low, high = (rng, rng) if isinstance(rng, int) else rng
        return str(low) if low == high else "%s-%s" % (low, high)

    values = {
        constants.SS_CLUSTER_NAME: cluster.cluster_name,
        constants.SS_CLUSTER_TAGS: join(sorted(cluster.get_tags())),
        constants.SS_FILE_STORAGE_DIR: cluster.file_storage_dir or "",
        constants.SS_SHARED_FILE_STORAGE_DIR: cluster.shared_file_storage_dir or "",
        constants.SS_GLUSTER_STORAGE_DIR: cluster.gluster_storage_dir or "",
        constants.SS_MASTER_CANDIDATES: join(n.name for n in mcs),
        constants.SS_MASTER_CANDIDATES_IPS: join(n.primary_ip for n in mcs),
        constants.SS_MASTER_CANDIDATES_CERTS: join(
            "%s=%s" % (k, v) for k, v in sorted((cluster.candidate_certs or {}).items())
        ),
        constants.SS_MASTER_IP: cluster.master_ip,
        constants.SS_MASTER_NETDEV: cluster.master_netdev,
        constants.SS_MASTER_NETMASK: str(cluster.master_netmask),
        constants.SS_MASTER_NODE: master.name if master else "NO MASTER",
        constants.SS_NODE_LIST: join(n.name for n in nodes),
        constants.SS_NODE_PRIMARY_IPS: join("%s %s" % (n.name, n.primary_ip) for n in nodes),
        constants.SS_NODE_SECONDARY_IPS: join("%s %s" % (n.name, n.secondary_ip) for n in nodes),
        constants.SS_NODE_VM_CAPABLE: join("%s=%s" % (n.name, n.vm_capable) for n in nodes),
        constants.SS_OFFLINE_NODES: join(n.name for n in nodes if n.offline),
        constants.SS_ONLINE_NODES: join(n.name for n in nodes if not n.offline),
        constants.SS_PRIMARY_IP_FAMILY: str(cluster.primary_ip_family),
        constants.SS_INSTANCE_LIST: join(_nice_sorted([i.name for i in data.instances.values()])),
        constants.SS_RELEASE_VERSION: constants.RELEASE_VERSION,
        constants.SS_HYPERVISOR_LIST: join(cluster.enabled_hypervisors),
        constants.SS_MAINTAIN_NODE_HEALTH: str(cluster.maintain_node_health),
        constants.SS_UID_POOL: join(uid_range(r) for r in cluster.uid_pool or []),
        constants.SS_NODEGROUPS: join("%s %s" % (g.uuid, g.name) for g in groups),
        constants.SS_NETWORKS: join(
            "%s %s" % (u, data.networks[u].name) for u in sorted(data.networks)
        ),
        constants.SS_ENABLED_USER_SHUTDOWN: str(cluster.enabled_user_shutdown),
        constants.SS_SSH_PORTS: join("%s=%s" % (n.name, ssh_port(n)) for n in nodes),
    }
    for hv_name in sorted(constants.HYPER_TYPES):
        params = (cluster.hvparams or {}).get(hv_name, {})
        values[constants.SS_HVPARAMS_PREF + hv_name] = join(
            "%s=%s" % (k, params[k]) for k in sorted(params)
        )
    return values
