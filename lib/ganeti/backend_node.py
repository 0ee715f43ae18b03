"""Node-side role changes: leaving the candidate pool, /etc/hosts entries.

Owns ``node_demote_from_mc`` (a node that stops being a master candidate
drops its copy of config.data, keeping a backup) and ``etc_hosts_modify``
(the cluster's ``modify_etc_hosts`` entries).  It must never run on the
master for a demotion: the master's config.data is the cluster's.
"""

import os
import time
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti.utils import io as uio
from ganeti.utils import net as unet

ETC_HOSTS_ADD = "add"
ETC_HOSTS_REMOVE = "remove"


def _fail(msg: str) -> None:
    raise errors.OpExecError(msg)


def demote_from_mc() -> None:
    """Removes this node's config.data (backed up), unless it is the master."""
    try:
        master = ssconf.SimpleStore().get_master_node()
    except errors.ConfigurationError:
        master = None
    if master and master in (unet.get_hostname().name, os.uname().nodename):
        _fail("The master node cannot be demoted from the candidate pool")
    path = pathutils.CLUSTER_CONF_FILE
    if not os.path.exists(path):
        return
    backup = "%s.backup-%d" % (path, int(time.time()))
    try:
        os.link(path, backup)
    except OSError:
        pass
    uio.remove_file(path)


def etc_hosts_modify(mode: str, name: str, ip: str | None) -> None:
    """Adds (``ip name shortname``) or removes ``name`` in /etc/hosts."""
    if mode not in (ETC_HOSTS_ADD, ETC_HOSTS_REMOVE):
        _fail("Mode '%s' is not supported" % mode)
    if not isinstance(name, str) or not name:
        _fail("A host name is required")
    path = pathutils.ETC_HOSTS
    try:
        lines = uio.read_file(path).splitlines()
    except OSError:
        lines = []
    kept = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields and name in fields[1:]:
            continue
        kept.append(line)
    if mode == ETC_HOSTS_ADD:
        if not ip or not unet.is_valid_ip(ip):
            _fail("Mode 'add' needs a valid IP address, not %r" % (ip,))
        short = name.split(".")[0]
        kept.append(" ".join([ip, name] + ([short] if short != name else [])))
    data = "".join(line + "\n" for line in kept)
    try:
        uio.write_file(path, data, mode=0o644)
    except OSError:
        # /etc/hosts may be a bind mount, which a rename cannot replace
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(data)


PROCEDURES: dict[str, Any] = {
    "node_demote_from_mc": demote_from_mc,
    "etc_hosts_modify": etc_hosts_modify,
}
_ = constants
