"""Python client of the Ganeti remote API v2, with Ganeti's method names.

Owns ``GanetiRapiClient`` (``GetInstances``, ``CreateInstance``,
``WaitForJobCompletion``, ...), its errors (``GanetiApiError`` carries the
HTTP code and reads "404 Not Found: Nothing matches the given URI", as
scripts in the field match on it) and ``GenericCurlConfig``: it builds each
API call's path, query and body.  Sending them (pycurl over HTTPS, one
connection per thread kept alive) is ``rapi.client_http``'s; its public
names are importable from here too.  It must never import anything of the
server side: tools and other clusters use it.
"""

import functools
import logging
import time
from typing import Any, Callable
from urllib.parse import quote

# the transport's names are the client's too (scripts use client.GanetiApiError, ...)
from ganeti.rapi.client_http import (  # noqa: F401
    HTTP_APP_JSON,
    HTTP_DELETE,
    HTTP_GET,
    HTTP_NOT_FOUND,
    HTTP_OK,
    HTTP_POST,
    HTTP_PUT,
    CertificateError,
    CurlTransport,
    Error,
    GanetiApiError,
    GenericCurlConfig,
)

GANETI_RAPI_PORT = 5080
GANETI_RAPI_VERSION = 2

REPLACE_DISK_PRI = "replace_on_primary"
REPLACE_DISK_SECONDARY = "replace_on_secondary"
REPLACE_DISK_SEC = REPLACE_DISK_SECONDARY
REPLACE_DISK_CHG = "replace_new_secondary"
REPLACE_DISK_AUTO = "replace_auto"

NODE_EVAC_PRI = "primary-only"
NODE_EVAC_SEC = "secondary-only"
NODE_EVAC_ALL = "all"

NODE_ROLE_DRAINED = "drained"
NODE_ROLE_MASTER_CANDIDATE = "master-candidate"
NODE_ROLE_MASTER = "master"
NODE_ROLE_OFFLINE = "offline"
NODE_ROLE_REGULAR = "regular"

JOB_STATUS_QUEUED = "queued"
JOB_STATUS_WAITING = "waiting"
JOB_STATUS_CANCELING = "canceling"
JOB_STATUS_RUNNING = "running"
JOB_STATUS_CANCELED = "canceled"
JOB_STATUS_SUCCESS = "success"
JOB_STATUS_ERROR = "error"
JOB_STATUS_PENDING = frozenset([JOB_STATUS_QUEUED, JOB_STATUS_WAITING, JOB_STATUS_CANCELING])
JOB_STATUS_FINALIZED = frozenset([JOB_STATUS_CANCELED, JOB_STATUS_SUCCESS, JOB_STATUS_ERROR])
JOB_STATUS_ALL = frozenset([JOB_STATUS_RUNNING]) | JOB_STATUS_PENDING | JOB_STATUS_FINALIZED

_REQ_DATA_VERSION_FIELD = "__version__"
_QPARAM_DRY_RUN = "dry-run"
_QPARAM_FORCE = "force"

_INST_CREATE_REQV1 = "instance-create-reqv1"
_INST_REINSTALL_REQV1 = "instance-reinstall-reqv1"
_NODE_MIGRATE_REQV1 = "node-migrate-reqv1"
_NODE_EVAC_RES1 = "node-evac-res1"


def _append_if(container: list, condition: Any, value: Any) -> bool:
    if condition:
        container.append(value)
    return bool(condition)


def _append_dry_run_if(container: list, condition: Any) -> bool:
    return _append_if(container, condition, (_QPARAM_DRY_RUN, 1))


def _append_force_if(container: list, condition: Any) -> bool:
    return _append_if(container, condition, (_QPARAM_FORCE, 1))


def _append_reason(container: list, reason: str | None) -> bool:
    return _append_if(container, reason is not None, ("reason", reason))


def _query(reason: str | None, dry_run: Any = False, force: Any = False) -> list:
    """The common query: ``force=1``, ``dry-run=1`` (if set), then ``reason``."""
    query: list = []
    _append_force_if(query, force)
    _append_dry_run_if(query, dry_run)
    _append_reason(query, reason)
    return query


def _set_items(container: dict, **items: Any) -> dict:
    """Adds the items whose value is not None (in the order given)."""
    container.update((key, value) for key, value in items.items() if value is not None)
    return container


class GanetiRapiClient:  # pylint: disable=too-many-public-methods
    """A client of one cluster's remote API (see module doc)."""

    USER_AGENT = "Ganeti RAPI Client"
    _json_encoder = None

    def __init__(
        self,
        host: str,
        port: int = GANETI_RAPI_PORT,
        username: str | None = None,
        password: str | None = None,
        logger: Any = logging,
        curl_config_fn: Callable[[Any], None] | None = None,
        curl_factory: Callable[[], Any] | None = None,
        scheme: str = "https",
    ) -> None:
        if ":" in host and not host.startswith("["):
            host = "[%s]" % host
        self._host = host
        self._port = port
        self._transport = CurlTransport(
            "%s://%s:%s" % (scheme, host, port),
            username,
            password,
            logger,
            curl_config_fn,
            curl_factory,
            self.USER_AGENT,
        )

    def close(self) -> None:
        """Closes this thread's connection."""
        self._transport.close()

    def _SendRequest(self, method: str, path: str, query: list | None, content: Any) -> Any:  # noqa: N802
        """Sends one request; returns the decoded answer or raises GanetiApiError."""
        return self._transport.send(method, path, query, content)

    # --- cluster ---------------------------------------------------------------------

    def GetVersion(self) -> int:  # noqa: N802
        return self._SendRequest(HTTP_GET, "/version", None, None)

    def GetFeatures(self) -> list:  # noqa: N802
        try:
            return self._SendRequest(HTTP_GET, "/2/features", None, None)
        except GanetiApiError as err:
            if err.code == HTTP_NOT_FOUND:
                return []
            raise

    def GetOperatingSystems(self, reason: str | None = None) -> list:  # noqa: N802
        return self._SendRequest(HTTP_GET, "/2/os", _query(reason), None)

    def GetInfo(self, reason: str | None = None) -> dict:  # noqa: N802
        return self._SendRequest(HTTP_GET, "/2/info", _query(reason), None)

    def RedistributeConfig(self, reason: str | None = None) -> int:  # noqa: N802
        return self._SendRequest(HTTP_PUT, "/2/redistribute-config", _query(reason), None)

    def ModifyCluster(self, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        return self._SendRequest(HTTP_PUT, "/2/modify", _query(reason), kwargs)

    def GetClusterTags(self, reason: str | None = None) -> list:  # noqa: N802
        return self._get("/2/tags", reason)

    def AddClusterTags(self, tags: list, dry_run: bool = False, reason: str | None = None) -> int:  # noqa: N802
        return self._change_tags(HTTP_PUT, "/2/tags", tags, dry_run, reason)

    def DeleteClusterTags(
        self, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:  # noqa: N802
        return self._change_tags(HTTP_DELETE, "/2/tags", tags, dry_run, reason)

    def _get(self, path: str, reason: str | None) -> Any:
        return self._SendRequest(HTTP_GET, path, _query(reason), None)

    def _list(self, path: str, bulk: bool, reason: str | None, key: str) -> list:
        """A collection: the full objects with ``bulk``, else each one's ``key``."""
        query: list = []
        _append_if(query, bulk, ("bulk", 1))
        _append_reason(query, reason)
        items = self._SendRequest(HTTP_GET, path, query, None)
        if bulk:
            return items
        return [i[key] for i in items]

    def _change_tags(
        self, method: str, path: str, tags: list, dry_run: bool, reason: str | None
    ) -> int:
        query = [("tag", t) for t in tags] + _query(reason, dry_run)
        return self._SendRequest(method, path, query, None)

    # --- instances -------------------------------------------------------------------

    def GetInstances(self, bulk: bool = False, reason: str | None = None) -> list:  # noqa: N802
        return self._list("/2/instances", bulk, reason, "id")

    def GetInstance(self, instance: str, reason: str | None = None) -> dict:  # noqa: N802
        return self._get(_inst(instance), reason)

    def GetInstanceInfo(  # noqa: N802
        self, instance: str, static: bool | None = None, reason: str | None = None
    ) -> int:
        query: list = []
        if static is not None:
            query.append(("static", int(static)))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_GET, _inst(instance, "info"), query, None)

    @staticmethod
    def _InstanceAllocation(  # noqa: N802
        mode: str, name: str, disk_template: str, disks: list, nics: list, **kwargs: Any
    ) -> dict:
        body = {
            "mode": mode,
            "name": name,
            "disk_template": disk_template,
            "disks": disks,
            "nics": nics,
        }
        conflicts = set(kwargs) & set(body)
        if conflicts:
            raise GanetiApiError(
                "Required fields can not be specified as keywords: %s"
                % ", ".join(sorted(conflicts))
            )
        body.update((k, v) for k, v in kwargs.items() if v is not None)
        return body

    InstanceAllocation = _InstanceAllocation

    def InstancesMultiAlloc(self, instances: list, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        query: list = []
        body = {"instances": instances}
        body.update(kwargs)
        _append_dry_run_if(query, body.pop("dry_run", False))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_POST, "/2/instances-multi-alloc", query, body)

    def CreateInstance(  # noqa: N802
        self,
        mode: str,
        name: str,
        disk_template: str,
        disks: list,
        nics: list,
        reason: str | None = None,
        **kwargs: Any,
    ) -> int:
        """Creates an instance (request version 1); returns the job id."""
        query: list = []
        _append_dry_run_if(query, kwargs.pop("dry_run", False))
        _append_reason(query, reason)
        body = self._InstanceAllocation(mode, name, disk_template, disks, nics, **kwargs)
        body[_REQ_DATA_VERSION_FIELD] = 1
        return self._SendRequest(HTTP_POST, "/2/instances", query, body)

    def DeleteInstance(  # noqa: N802
        self, instance: str, dry_run: bool = False, reason: str | None = None, **kwargs: Any
    ) -> int:
        return self._SendRequest(HTTP_DELETE, _inst(instance), _query(reason, dry_run), kwargs)

    def ModifyInstance(self, instance: str, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        return self._SendRequest(HTTP_PUT, _inst(instance, "modify"), _query(reason), kwargs)

    def ActivateInstanceDisks(  # noqa: N802
        self, instance: str, ignore_size: bool | None = None, reason: str | None = None
    ) -> int:
        query: list = []
        _append_if(query, ignore_size, ("ignore_size", 1))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _inst(instance, "activate-disks"), query, None)

    def DeactivateInstanceDisks(  # noqa: N802
        self, instance: str, reason: str | None = None, force: bool = False
    ) -> int:
        return self._SendRequest(
            HTTP_PUT, _inst(instance, "deactivate-disks"), _query(reason, force=force), None
        )

    def RecreateInstanceDisks(  # noqa: N802
        self,
        instance: str,
        disks: list | None = None,
        nodes: list | None = None,
        reason: str | None = None,
        iallocator: str | None = None,
    ) -> int:
        body = _set_items({}, disks=disks, nodes=nodes, iallocator=iallocator)
        return self._SendRequest(HTTP_POST, _inst(instance, "recreate-disks"), _query(reason), body)

    def GrowInstanceDisk(  # noqa: N802
        self,
        instance: str,
        disk: int,
        amount: int,
        wait_for_sync: bool | None = None,
        reason: str | None = None,
    ) -> int:
        body = _set_items({"amount": amount}, wait_for_sync=wait_for_sync)
        query = _query(reason)
        path = "%s/disk/%s/grow" % (_inst(instance), disk)
        return self._SendRequest(HTTP_POST, path, query, body)

    def GetInstanceTags(self, instance: str, reason: str | None = None) -> list:  # noqa: N802
        return self._get(_inst(instance, "tags"), reason)

    def AddInstanceTags(  # noqa: N802
        self, instance: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_PUT, _inst(instance, "tags"), tags, dry_run, reason)

    def DeleteInstanceTags(  # noqa: N802
        self, instance: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_DELETE, _inst(instance, "tags"), tags, dry_run, reason)

    def RebootInstance(  # noqa: N802
        self,
        instance: str,
        reboot_type: str | None = None,
        ignore_secondaries: bool | None = None,
        dry_run: bool = False,
        reason: str | None = None,
        **kwargs: Any,
    ) -> int:
        query: list = []
        _append_dry_run_if(query, dry_run)
        _append_if(query, reboot_type, ("type", reboot_type))
        _append_if(
            query, ignore_secondaries is not None, ("ignore_secondaries", ignore_secondaries)
        )
        _append_reason(query, reason)
        return self._SendRequest(HTTP_POST, _inst(instance, "reboot"), query, kwargs)

    def ShutdownInstance(  # noqa: N802
        self,
        instance: str,
        dry_run: bool = False,
        no_remember: bool = False,
        reason: str | None = None,
        **kwargs: Any,
    ) -> int:
        query: list = []
        _append_dry_run_if(query, dry_run)
        _append_if(query, no_remember, ("no_remember", 1))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _inst(instance, "shutdown"), query, kwargs)

    def StartupInstance(  # noqa: N802
        self,
        instance: str,
        dry_run: bool = False,
        no_remember: bool = False,
        reason: str | None = None,
    ) -> int:
        query: list = []
        _append_dry_run_if(query, dry_run)
        _append_if(query, no_remember, ("no_remember", 1))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _inst(instance, "startup"), query, None)

    def ReinstallInstance(  # noqa: N802
        self,
        instance: str,
        os: str | None = None,  # pylint: disable=redefined-outer-name
        no_startup: bool = False,
        osparams: dict | None = None,
        reason: str | None = None,
    ) -> int:
        query = _query(reason)
        body = _set_items({"start": not no_startup}, os=os, osparams=osparams)
        return self._SendRequest(HTTP_POST, _inst(instance, "reinstall"), query, body)

    def ReplaceInstanceDisks(  # noqa: N802
        self,
        instance: str,
        disks: list | None = None,
        mode: str = REPLACE_DISK_AUTO,
        remote_node: str | None = None,
        iallocator: str | None = None,
        reason: str | None = None,
        early_release: bool | None = None,
    ) -> int:
        body = _set_items(
            {"mode": mode},
            disks=disks,
            remote_node=remote_node,
            iallocator=iallocator,
            early_release=early_release,
        )
        return self._SendRequest(HTTP_POST, _inst(instance, "replace-disks"), _query(reason), body)

    def PrepareExport(self, instance: str, mode: str, reason: str | None = None) -> int:  # noqa: N802
        query: list = [("mode", mode)]
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _inst(instance, "prepare-export"), query, None)

    def ExportInstance(  # noqa: N802
        self,
        instance: str,
        mode: str,
        destination: Any,
        shutdown: bool | None = None,
        remove_instance: bool | None = None,
        x509_key_name: Any = None,
        destination_x509_ca: str | None = None,
        compress: str | None = None,
        reason: str | None = None,
    ) -> int:
        body = _set_items(
            {"destination": destination, "mode": mode},
            shutdown=shutdown,
            remove_instance=remove_instance,
            x509_key_name=x509_key_name,
            destination_x509_ca=destination_x509_ca,
            compress=compress,
        )
        return self._SendRequest(HTTP_PUT, _inst(instance, "export"), _query(reason), body)

    def MigrateInstance(  # noqa: N802
        self,
        instance: str,
        mode: str | None = None,
        cleanup: bool | None = None,
        target_node: str | None = None,
        reason: str | None = None,
    ) -> int:
        body = _set_items({}, mode=mode, cleanup=cleanup, target_node=target_node)
        return self._SendRequest(HTTP_PUT, _inst(instance, "migrate"), _query(reason), body)

    def FailoverInstance(  # noqa: N802
        self,
        instance: str,
        iallocator: str | None = None,
        ignore_consistency: bool | None = None,
        target_node: str | None = None,
        reason: str | None = None,
    ) -> int:
        body = _set_items(
            {},
            iallocator=iallocator,
            ignore_consistency=ignore_consistency,
            target_node=target_node,
        )
        return self._SendRequest(HTTP_PUT, _inst(instance, "failover"), _query(reason), body)

    def RenameInstance(  # noqa: N802
        self,
        instance: str,
        new_name: str,
        ip_check: bool | None = None,
        name_check: bool | None = None,
        reason: str | None = None,
    ) -> int:
        body = _set_items({"new_name": new_name}, ip_check=ip_check, name_check=name_check)
        return self._SendRequest(HTTP_PUT, _inst(instance, "rename"), _query(reason), body)

    def GetInstanceConsole(self, instance: str, reason: str | None = None) -> dict:  # noqa: N802
        return self._get(_inst(instance, "console"), reason)

    # --- jobs ---------------------------------------------------------------------------

    def GetJobs(self, bulk: bool = False) -> list:  # noqa: N802
        jobs = self._list("/2/jobs", bulk, None, "id")
        return jobs if bulk else [int(j) for j in jobs]

    def GetJobStatus(self, job_id: int) -> dict:  # noqa: N802
        return self._SendRequest(HTTP_GET, "/2/jobs/%s" % (job_id,), None, None)

    def WaitForJobCompletion(self, job_id: int, period: float = 5, retries: int = -1) -> bool:  # noqa: N802
        """Polls until the job is final; True if it succeeded."""
        while True:
            job_result = self.GetJobStatus(job_id)
            if job_result and job_result["status"] == JOB_STATUS_SUCCESS:
                return True
            if not job_result or job_result["status"] in JOB_STATUS_FINALIZED:
                return False
            if retries == 0:
                return False
            if retries > 0:
                retries -= 1
            time.sleep(period)

    def WaitForJobChange(  # noqa: N802
        self, job_id: int, fields: list, prev_job_info: Any, prev_log_serial: Any
    ) -> dict | None:
        body = {
            "fields": fields,
            "previous_job_info": prev_job_info,
            "previous_log_serial": prev_log_serial,
        }
        return self._SendRequest(HTTP_GET, "/2/jobs/%s/wait" % (job_id,), None, body)

    def CancelJob(self, job_id: int, dry_run: bool = False) -> list:  # noqa: N802
        return self._SendRequest(HTTP_DELETE, "/2/jobs/%s" % (job_id,), _query(None, dry_run), None)

    # --- nodes --------------------------------------------------------------------------

    def GetNodes(self, bulk: bool = False, reason: str | None = None) -> list:  # noqa: N802
        return self._list("/2/nodes", bulk, reason, "id")

    def GetNode(self, node: str, reason: str | None = None) -> dict:  # noqa: N802
        return self._get(_node(node), reason)

    def EvacuateNode(  # noqa: N802
        self,
        node: str,
        iallocator: str | None = None,
        remote_node: str | None = None,
        dry_run: bool = False,
        early_release: bool | None = None,
        mode: str | None = None,
        accept_old: bool = False,
        reason: str | None = None,
    ) -> int:
        if iallocator and remote_node:
            raise GanetiApiError("Only one of iallocator or remote_node can be used")
        query = _query(reason, dry_run)
        body = _set_items(
            {},
            iallocator=iallocator,
            remote_node=remote_node,
            early_release=early_release,
            mode=mode,
        )
        return self._SendRequest(HTTP_POST, _node(node, "evacuate"), query, body)

    def MigrateNode(  # noqa: N802
        self,
        node: str,
        mode: str | None = None,
        dry_run: bool = False,
        iallocator: str | None = None,
        target_node: str | None = None,
        reason: str | None = None,
    ) -> int:
        query = _query(reason, dry_run)
        body = _set_items({}, mode=mode, iallocator=iallocator, target_node=target_node)
        return self._SendRequest(HTTP_POST, _node(node, "migrate"), query, body)

    def GetNodeRole(self, node: str, reason: str | None = None) -> str:  # noqa: N802
        return self._get(_node(node, "role"), reason)

    def SetNodeRole(  # noqa: N802
        self,
        node: str,
        role: str,
        force: bool = False,
        auto_promote: bool | None = None,
        reason: str | None = None,
    ) -> int:
        query: list = []
        _append_force_if(query, force)
        _append_if(query, auto_promote is not None, ("auto-promote", auto_promote))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _node(node, "role"), query, role)

    def PowercycleNode(self, node: str, force: bool = False, reason: str | None = None) -> int:  # noqa: N802
        return self._SendRequest(
            HTTP_POST, _node(node, "powercycle"), _query(reason, force=force), None
        )

    def ModifyNode(self, node: str, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        return self._SendRequest(HTTP_POST, _node(node, "modify"), _query(reason), kwargs)

    def GetNodeStorageUnits(  # noqa: N802
        self, node: str, storage_type: str, output_fields: str, reason: str | None = None
    ) -> int:
        query = [("storage_type", storage_type), ("output_fields", output_fields)]
        _append_reason(query, reason)
        return self._SendRequest(HTTP_GET, _node(node, "storage"), query, None)

    def ModifyNodeStorageUnits(  # noqa: N802
        self,
        node: str,
        storage_type: str,
        name: str,
        allocatable: bool | None = None,
        reason: str | None = None,
    ) -> int:
        query: list = [("storage_type", storage_type), ("name", name)]
        _append_if(query, allocatable is not None, ("allocatable", allocatable))
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _node(node, "storage/modify"), query, None)

    def RepairNodeStorageUnits(  # noqa: N802
        self, node: str, storage_type: str, name: str, reason: str | None = None
    ) -> int:
        query = [("storage_type", storage_type), ("name", name)]
        _append_reason(query, reason)
        return self._SendRequest(HTTP_PUT, _node(node, "storage/repair"), query, None)

    def GetNodeTags(self, node: str, reason: str | None = None) -> list:  # noqa: N802
        return self._get(_node(node, "tags"), reason)

    def AddNodeTags(  # noqa: N802
        self, node: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_PUT, _node(node, "tags"), tags, dry_run, reason)

    def DeleteNodeTags(  # noqa: N802
        self, node: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_DELETE, _node(node, "tags"), tags, dry_run, reason)

    # --- networks ---------------------------------------------------------------------

    def GetNetworks(self, bulk: bool = False, reason: str | None = None) -> list:  # noqa: N802
        return self._list("/2/networks", bulk, reason, "name")

    def GetNetwork(self, network: str, reason: str | None = None) -> dict:  # noqa: N802
        return self._get(_net(network), reason)

    def CreateNetwork(  # noqa: N802
        self,
        network_name: str,
        network: str,
        gateway: str | None = None,
        network6: str | None = None,
        gateway6: str | None = None,
        mac_prefix: str | None = None,
        add_reserved_ips: list | None = None,
        tags: list | None = None,
        dry_run: bool = False,
        reason: str | None = None,
    ) -> int:
        query = _query(reason, dry_run)
        body = {
            "network_name": network_name,
            "network": network,
            "gateway": gateway,
            "network6": network6,
            "gateway6": gateway6,
            "mac_prefix": mac_prefix,
            "add_reserved_ips": add_reserved_ips,
            "tags": tags or [],
        }
        return self._SendRequest(HTTP_POST, "/2/networks", query, body)

    def ConnectNetwork(  # noqa: N802
        self,
        network_name: str,
        group_name: str,
        mode: str,
        link: str,
        vlan: str = "",
        dry_run: bool = False,
        reason: str | None = None,
    ) -> int:
        query = _query(reason, dry_run)
        body = {"group_name": group_name, "network_mode": mode, "network_link": link,
                "network_vlan": vlan}  # fmt: skip
        return self._SendRequest(HTTP_PUT, _net(network_name, "connect"), query, body)

    def DisconnectNetwork(  # noqa: N802
        self, network_name: str, group_name: str, dry_run: bool = False, reason: str | None = None
    ) -> int:
        query = _query(reason, dry_run)
        body = {"group_name": group_name}
        return self._SendRequest(HTTP_PUT, _net(network_name, "disconnect"), query, body)

    def ModifyNetwork(self, network: str, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        return self._SendRequest(HTTP_PUT, _net(network, "modify"), _query(reason), kwargs)

    def DeleteNetwork(  # noqa: N802
        self, network: str, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._SendRequest(HTTP_DELETE, _net(network), _query(reason, dry_run), None)

    def GetNetworkTags(self, network: str, reason: str | None = None) -> list:  # noqa: N802
        return self._get(_net(network, "tags"), reason)

    def AddNetworkTags(  # noqa: N802
        self, network: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_PUT, _net(network, "tags"), tags, dry_run, reason)

    def DeleteNetworkTags(  # noqa: N802
        self, network: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_DELETE, _net(network, "tags"), tags, dry_run, reason)

    # --- groups -----------------------------------------------------------------------

    def GetGroups(self, bulk: bool = False, reason: str | None = None) -> list:  # noqa: N802
        return self._list("/2/groups", bulk, reason, "name")

    def GetGroup(self, group: str, reason: str | None = None) -> dict:  # noqa: N802
        return self._get(_group(group), reason)

    def CreateGroup(  # noqa: N802
        self,
        name: str,
        alloc_policy: str | None = None,
        dry_run: bool = False,
        reason: str | None = None,
    ) -> int:
        query = _query(reason, dry_run)
        body = {"name": name, "alloc_policy": alloc_policy}
        return self._SendRequest(HTTP_POST, "/2/groups", query, body)

    def ModifyGroup(self, group: str, reason: str | None = None, **kwargs: Any) -> int:  # noqa: N802
        return self._SendRequest(HTTP_PUT, _group(group, "modify"), _query(reason), kwargs)

    def DeleteGroup(self, group: str, dry_run: bool = False, reason: str | None = None) -> int:  # noqa: N802
        return self._SendRequest(HTTP_DELETE, _group(group), _query(reason, dry_run), None)

    def RenameGroup(self, group: str, new_name: str, reason: str | None = None) -> int:  # noqa: N802
        return self._SendRequest(
            HTTP_PUT, _group(group, "rename"), _query(reason), {"new_name": new_name}
        )

    def AssignGroupNodes(  # noqa: N802
        self,
        group: str,
        nodes: list,
        force: bool = False,
        dry_run: bool = False,
        reason: str | None = None,
    ) -> int:
        return self._SendRequest(
            HTTP_PUT,
            _group(group, "assign-nodes"),
            _query(reason, dry_run, force),
            {"nodes": nodes},
        )

    def GetGroupTags(self, group: str, reason: str | None = None) -> list:  # noqa: N802
        return self._get(_group(group, "tags"), reason)

    def AddGroupTags(  # noqa: N802
        self, group: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_PUT, _group(group, "tags"), tags, dry_run, reason)

    def DeleteGroupTags(  # noqa: N802
        self, group: str, tags: list, dry_run: bool = False, reason: str | None = None
    ) -> int:
        return self._change_tags(HTTP_DELETE, _group(group, "tags"), tags, dry_run, reason)

    # --- queries and filters ---------------------------------------------------------

    def Query(  # noqa: N802
        self, what: str, fields: list, qfilter: Any = None, reason: str | None = None
    ) -> dict:
        query = _query(reason)
        body = _set_items({"fields": fields}, qfilter=qfilter, filter=qfilter)
        return self._SendRequest(HTTP_PUT, "/2/query/%s" % quote(what), query, body)

    def QueryFields(self, what: str, fields: list | None = None, reason: str | None = None) -> dict:  # noqa: N802
        query = _query(reason)
        if fields is not None:
            query.append(("fields", ",".join(fields)))
        return self._SendRequest(HTTP_GET, "/2/query/%s/fields" % quote(what), query, None)

    def GetFilters(self, bulk: bool = False) -> list:  # noqa: N802
        return self._list("/2/filters", bulk, None, "uuid")

    def GetFilter(self, filter_uuid: str) -> dict:  # noqa: N802
        return self._SendRequest(HTTP_GET, "/2/filters/%s" % quote(filter_uuid), None, None)

    def AddFilter(  # noqa: N802
        self, priority: int, predicates: list, action: Any, reason_trail: list | None = None
    ) -> str:
        body = {"priority": priority, "predicates": predicates, "action": action,
                "reason": reason_trail or []}  # fmt: skip
        return self._SendRequest(HTTP_POST, "/2/filters", None, body)

    def ReplaceFilter(  # noqa: N802
        self,
        uuid: str,
        priority: int,
        predicates: list,
        action: Any,
        reason_trail: list | None = None,
    ) -> str:
        body = {"priority": priority, "predicates": predicates, "action": action,
                "reason": reason_trail or []}  # fmt: skip
        return self._SendRequest(HTTP_PUT, "/2/filters/%s" % quote(uuid), None, body)

    def DeleteFilter(self, uuid: str) -> None:  # noqa: N802
        return self._SendRequest(HTTP_DELETE, "/2/filters/%s" % quote(uuid), None, None)


def _path(collection: str, name: str, sub: str | None = None) -> str:
    path = "/2/%s/%s" % (collection, quote(name))
    return "%s/%s" % (path, sub) if sub else path


_inst = functools.partial(_path, "instances")
_node = functools.partial(_path, "nodes")
_group = functools.partial(_path, "groups")
_net = functools.partial(_path, "networks")
