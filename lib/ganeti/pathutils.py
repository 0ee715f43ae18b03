"""Every filesystem path the project uses, at Ganeti's absolute locations.

Owns path layout only; it must never create, read or write files.  Tests may
move the whole tree under a temporary root with ``set_root`` (or the
``GANETI_ROOT`` environment variable, read once at import); the virtual
cluster needs no such trick, its nodes see the real paths.
"""

import os

DEFAULT_FILE_STORAGE_DIR_REL = "srv/ganeti/file-storage"

_ROOT = ""

# names set by _compute(); listed for readers and linters
DATA_DIR = CONF_DIR = RUN_DIR = LOG_DIR = LOCK_DIR = ""


def _join(*parts: str) -> str:
    return (
        os.path.join(_ROOT + "/" if _ROOT else "/", *parts)
        if not _ROOT
        else os.path.join(_ROOT, *parts)
    )


def _compute() -> None:
    g = globals()
    j = _join
    g["ROOT"] = _ROOT or "/"
    g["CONF_DIR"] = j("etc/ganeti")
    g["DATA_DIR"] = j("var/lib/ganeti")
    g["RUN_DIR"] = j("var/run/ganeti")
    g["LOG_DIR"] = j("var/log/ganeti")
    g["LOCK_DIR"] = j("var/lock")
    g["BIN_DIR"] = j("usr/bin")
    g["SBIN_DIR"] = j("usr/sbin")
    g["PKGLIB_DIR"] = j("usr/lib/ganeti")
    g["SHARED_DIR"] = j("usr/share/ganeti")
    d = g["DATA_DIR"]
    r = g["RUN_DIR"]
    c = g["CONF_DIR"]
    log = g["LOG_DIR"]
    g["CLUSTER_CONF_FILE"] = os.path.join(d, "config.data")
    g["SSCONF_PREFIX"] = "ssconf_"
    g["NODED_CERT_FILE"] = os.path.join(d, "server.pem")
    g["NODED_CLIENT_CERT_FILE"] = os.path.join(d, "client.pem")
    g["RAPI_CERT_FILE"] = os.path.join(d, "rapi.pem")
    g["CONFD_HMAC_KEY"] = os.path.join(d, "hmac.key")
    g["SPICE_CERT_FILE"] = os.path.join(d, "spice.pem")
    g["SPICE_CACERT_FILE"] = os.path.join(d, "spice-ca.pem")
    g["CLUSTER_DOMAIN_SECRET_FILE"] = os.path.join(d, "cluster-domain-secret")
    g["SSH_KNOWN_HOSTS_FILE"] = os.path.join(d, "known_hosts")
    g["SSH_PUB_KEYS"] = os.path.join(d, "ganeti_pub_keys")
    g["RAPI_DATA_DIR"] = os.path.join(d, "rapi")
    g["RAPI_USERS_FILE"] = os.path.join(d, "rapi", "users")
    g["QUEUE_DIR"] = os.path.join(d, "queue")
    g["JOB_QUEUE_LOCK_FILE"] = os.path.join(d, "queue", "lock")
    g["JOB_QUEUE_SERIAL_FILE"] = os.path.join(d, "queue", "serial")
    g["JOB_QUEUE_VERSION_FILE"] = os.path.join(d, "queue", "version")
    g["JOB_QUEUE_DRAIN_FILE"] = os.path.join(d, "queue", "drain")
    g["JOB_QUEUE_ARCHIVE_DIR"] = os.path.join(d, "queue", "archive")
    g["JOB_QUEUE_JOURNAL_FILE"] = os.path.join(d, "queue", "journal")
    g["WATCHER_PAUSEFILE"] = os.path.join(d, "watcher.pause")
    g["WATCHER_GROUP_STATE_FILE"] = os.path.join(d, "watcher.%s.data")
    g["WATCHER_GROUP_INSTANCE_STATUS_FILE"] = os.path.join(d, "watcher.%s.instance-status")
    g["EXPORT_DIR"] = j("srv/ganeti/export")
    g["OS_SEARCH_PATH"] = [
        j("srv/ganeti/os"),
        j("usr/local/lib/ganeti/os"),
        j("usr/lib/ganeti/os"),
        j("usr/share/ganeti/os"),
    ]
    g["ES_SEARCH_PATH"] = [
        j("srv/ganeti/extstorage"),
        j("usr/local/lib/ganeti/extstorage"),
        j("usr/lib/ganeti/extstorage"),
        j("usr/share/ganeti/extstorage"),
    ]
    g["DEFAULT_FILE_STORAGE_DIR"] = j(DEFAULT_FILE_STORAGE_DIR_REL)
    g["DEFAULT_SHARED_FILE_STORAGE_DIR"] = j("srv/ganeti/shared-file-storage")
    g["DEFAULT_GLUSTER_STORAGE_DIR"] = j("var/run/ganeti/gluster")
    # the last entry is where Debian's ganeti-htools-3.0 installs its hail
    g["IALLOCATOR_SEARCH_PATH"] = [
        j("usr/local/lib/ganeti/iallocators"),
        j("usr/lib/ganeti/iallocators"),
        "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators",
    ]
    g["HOOKS_BASE_DIR"] = os.path.join(c, "hooks")
    g["FILE_STORAGE_PATHS_FILE"] = os.path.join(c, "file-storage-paths")
    g["RESTRICTED_COMMANDS_DIR"] = os.path.join(c, "restricted-commands")
    g["EXTERNAL_MASTER_SETUP_SCRIPT"] = os.path.join(c, "scripts", "master-ip-setup")
    g["VNC_PASSWORD_FILE"] = os.path.join(c, "vnc-cluster-password")
    g["SOCKET_DIR"] = os.path.join(r, "socket")
    g["MASTER_SOCKET"] = os.path.join(r, "socket", "ganeti-master")
    g["QUERY_SOCKET"] = os.path.join(r, "socket", "ganeti-query")
    g["BDEV_CACHE_DIR"] = os.path.join(r, "bdev-cache")
    g["DISK_LINKS_DIR"] = os.path.join(r, "instance-disks")
    g["CRYPTO_KEYS_DIR"] = os.path.join(r, "crypto")
    g["IMPORT_EXPORT_DIR"] = os.path.join(r, "import-export")
    g["INSTANCE_STATUS_FILE"] = os.path.join(r, "instance-status")
    g["INSTANCE_REASON_DIR"] = os.path.join(r, "instance-reason")
    g["UIDPOOL_LOCKDIR"] = os.path.join(r, "uid-pool")
    g["KVM_HV_DIR"] = os.path.join(r, "kvm-hypervisor")
    g["XEN_HV_DIR"] = os.path.join(r, "xen-hypervisor")
    g["FAKE_HV_DIR"] = os.path.join(r, "fake-hypervisor")
    g["CHROOT_HV_DIR"] = os.path.join(r, "chroot-hypervisor")
    g["LXC_HV_DIR"] = os.path.join(r, "lxc")
    g["SSCONF_LOCK_FILE"] = j("var/lock/ganeti-ssconf.lock")
    g["WATCHER_LOCK_FILE"] = j("var/lock/ganeti-watcher.lock")
    g["LOG_OS_DIR"] = os.path.join(log, "os")
    g["LOG_ES_DIR"] = os.path.join(log, "extstorage")
    g["LOG_KVM_DIR"] = os.path.join(log, "kvm")
    g["LOG_WATCHER"] = os.path.join(log, "watcher.log")
    g["LOG_COMMANDS"] = os.path.join(log, "commands.log")
    g["LOG_BURNIN"] = os.path.join(log, "burnin.log")
    g["LOG_CLEANER_DIR"] = os.path.join(log, "cleaner")
    g["LOG_MASTER_CLEANER_DIR"] = os.path.join(log, "master-cleaner")
    g["DAEMON_UTIL"] = os.path.join(g["PKGLIB_DIR"], "daemon-util")
    g["ENSURE_DIRS"] = os.path.join(g["PKGLIB_DIR"], "ensure-dirs")
    g["KVM_IFUP"] = os.path.join(g["PKGLIB_DIR"], "kvm-ifup")
    g["ETC_HOSTS"] = j("etc/hosts")
    g["SSH_CONFIG_DIR"] = j("etc/ssh")
    g["SSH_ROOT_DIR"] = j("root/.ssh")


def daemon_log_file(daemon: str) -> str:
    """The log file of ``daemon`` (e.g. ganeti-masterd) under LOG_DIR."""
    from ganeti import constants  # pylint: disable=import-outside-toplevel

    base = constants.DAEMONS_LOGFILES_BASE.get(daemon, daemon + ".log")
    return os.path.join(LOG_DIR, base)


def daemon_pid_file(daemon: str) -> str:
    """The pid file of ``daemon`` under RUN_DIR."""
    return os.path.join(RUN_DIR, daemon + ".pid")


def ssconf_file(key: str) -> str:
    """The file holding ssconf value ``key``."""
    return os.path.join(DATA_DIR, SSCONF_PREFIX + key)  # noqa: F821


def job_file(job_id: int, archived: bool = False) -> str:
    """The path of job ``job_id`` in the queue or in its archive."""
    name = "job-%d" % job_id
    if archived:
        return os.path.join(
            JOB_QUEUE_ARCHIVE_DIR,  # noqa: F821
            str(job_id // 10000),
            name,
        )
    return os.path.join(QUEUE_DIR, name)  # noqa: F821


def set_root(root: str) -> None:
    """Moves every path under ``root`` ("" or "/" for the real layout)."""
    global _ROOT  # pylint: disable=global-statement
    _ROOT = "" if root in ("", "/") else os.path.abspath(root)
    _compute()


def get_root() -> str:
    """The current root ("" for the real layout)."""
    return _ROOT


set_root(os.environ.get("GANETI_ROOT", ""))
