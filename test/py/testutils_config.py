"""Test helper: a valid cluster config.data in a temporary root.

Builds the configuration the way ``gnt-cluster init`` would leave it (one
master node in the default group, fake hypervisor, diskless and file
templates), optionally with more nodes and diskless instances, completed
with every default by ``ConfigData.upgrade_config``.  It never touches
anything outside ``root``.
"""

import ipaddress
import os
import time
import uuid as uuid_mod
from typing import Any

from ganeti import constants, objects, serializer
from ganeti.utils import io as utils_io

DATA_DIR_REL = os.path.join("var", "lib", "ganeti")


def _uuid(kind: int, index: int) -> str:
    # stable, readable UUIDs keep test failures easy to read
    return str(uuid_mod.UUID(int=(kind << 96) | index, version=4))


def make_test_cluster_dict(
    cluster_name: str = "cluster.example.com",
    node_name: str = "node1.example.com",
    master_ip: str = "198.51.100.100",
    node_ip: str = "198.51.100.10",
    extra_nodes: int = 0,
    instances: int = 0,
) -> dict[str, Any]:
    """The config.data dict of a fresh cluster (see module docstring).

    Extra nodes are ``node2.<domain>``... with consecutive addresses after
    ``node_ip``; instances ``inst1.<domain>``... are diskless, spread over
    the nodes, admin up.
    """
    now = time.time()
    domain = node_name.split(".", 1)[1] if "." in node_name else ""
    group_uuid = _uuid(1, 1)
    first_ip = ipaddress.ip_address(node_ip)
    nodes = {}
    node_uuids = []
    for idx in range(extra_nodes + 1):
        if idx == 0:
            name = node_name
        else:
            name = "node%d" % (idx + 1) + ("." + domain if domain else "")
        uuid = _uuid(2, idx + 1)
        node_uuids.append(uuid)
        ip = str(first_ip + idx)
        nodes[uuid] = {
            "name": name,
            "uuid": uuid,
            "primary_ip": ip,
            "secondary_ip": ip,
            "group": group_uuid,
            "master_candidate": idx < constants.MASTER_POOL_SIZE_DEFAULT,
            "master_capable": True,
            "vm_capable": True,
            "offline": False,
            "drained": False,
            "powered": True,
            "ndparams": {},
            "serial_no": 1,
            "ctime": now,
            "mtime": now,
            "tags": [],
        }
    insts = {}
    for idx in range(instances):
        uuid = _uuid(3, idx + 1)
        name = "inst%d" % (idx + 1) + ("." + domain if domain else "")
        insts[uuid] = {
            "name": name,
            "uuid": uuid,
            "primary_node": node_uuids[idx % len(node_uuids)],
            "os": "noop",
            "hypervisor": constants.HT_FAKE,
            "hvparams": {},
            "beparams": {},
            "osparams": {},
            "osparams_private": {},
            "admin_state": constants.ADMINST_UP,
            "admin_state_source": constants.ADMIN_SOURCE,
            "disks_active": True,
            "disks": [],
            "nics": [
                {
                    "mac": "aa:00:00:%02x:%02x:%02x"
                    % ((idx >> 16) & 255, (idx >> 8) & 255, idx & 255),
                    "uuid": _uuid(4, idx + 1),
                    "nicparams": {},
                }
            ],
            "serial_no": 1,
            "ctime": now,
            "mtime": now,
            "tags": [],
        }
    cluster = {
        "cluster_name": cluster_name,
        "uuid": _uuid(0, 1),
        "master_node": node_uuids[0],
        "master_ip": master_ip,
        "master_netdev": "lo",
        "master_netmask": 32,
        "enabled_hypervisors": [constants.HT_FAKE],
        "enabled_disk_templates": [constants.DT_DISKLESS, constants.DT_FILE],
        "file_storage_dir": "/srv/ganeti/file-storage",
        "shared_file_storage_dir": "/srv/ganeti/shared-file-storage",
        "gluster_storage_dir": "/var/run/ganeti/gluster",
        "modify_etc_hosts": False,
        "modify_ssh_setup": False,
        "default_iallocator": "hail",
        "serial_no": 1,
        "ctime": now,
        "mtime": now,
        "tags": [],
    }
    group = {
        "name": constants.INITIAL_NODE_GROUP_NAME,
        "uuid": group_uuid,
        "members": [],
        "serial_no": 1,
        "ctime": now,
        "mtime": now,
        "tags": [],
    }
    data = objects.ConfigData.from_dict(
        {
            "version": constants.CONFIG_VERSION,
            "cluster": cluster,
            "nodes": nodes,
            "nodegroups": {group_uuid: group},
            "instances": insts,
            "networks": {},
            "disks": {},
            "filters": {},
            "serial_no": 1,
            "ctime": now,
            "mtime": now,
        }
    )
    data.upgrade_config()
    return data.to_dict()


def make_test_cluster(
    root: str,
    cluster_name: str = "cluster.example.com",
    node_name: str = "node1.example.com",
    master_ip: str = "198.51.100.100",
    node_ip: str = "198.51.100.10",
    extra_nodes: int = 0,
    instances: int = 0,
    write_ssconf: bool = False,
) -> str:
    """Writes config.data under ``root`` (at ``<root>/var/lib/ganeti``, where
    ``pathutils.set_root(root)`` looks) and returns its path.

    ``write_ssconf`` also writes the ssconf files next to it.
    """
    data_dir = os.path.join(root, DATA_DIR_REL)
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, "config.data")
    data = make_test_cluster_dict(
        cluster_name, node_name, master_ip, node_ip, extra_nodes, instances
    )
    utils_io.write_file(path, serializer.dump_bytes(data), mode=0o640, fsync=False)
    if write_ssconf:
        from ganeti import config, ssconf

        cfg = config.ConfigWriter(path, offline=True, accept_foreign=True)
        lock_dir = os.path.join(root, "var", "lock")
        os.makedirs(lock_dir, exist_ok=True)
        store = ssconf.SimpleStore(data_dir, _lockfile=os.path.join(lock_dir, "ganeti-ssconf.lock"))
        store.write_files(cfg.get_ssconf_values())
    return path
