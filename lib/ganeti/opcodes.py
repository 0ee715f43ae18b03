"""Every Ganeti opcode, declared as data.

Owns the table of opcodes: one class per OP_ID whose body lists its parameters
as ``(name, default, check, doc)`` rows (checks from ``ganeti.ht``), the
parameter shown in summaries (``OP_DSC_FIELD``) and the check of its result
(``OP_RESULT``); plus ``OP_MAPPING`` (OP_ID -> class).  The machinery
(construction, ``to_dict``/``load_op_code``, ``validate``, summaries) lives in
``ganeti.opcodes_base`` and is re-exported here.

Must never hold behaviour: what an opcode *does* is its logical unit's
business (``lu_name_for(op)`` names it).  Adding an opcode is adding a class.
"""

from ganeti import constants, ht

# fmt: off
from ganeti.opcodes_base import (  # noqa: F401 (re-exported API)
    BASE_PARAMS, COMMENT_ATTR, DEPEND_ATTR, OP_MAPPING, P_COMPRESS, P_CONFLICTS_CHECK,
    P_DEBUG_SIMULATE_ERRORS, P_DISK_STATE, P_DISKPARAMS, P_EARLY_RELEASE, P_ERROR_CODES, P_FORCE,
    P_FORCE_VARIANT, P_GROUP_NAME, P_HV_STATE, P_IALLOCATOR, P_IGNORE_CONSISTENCY,
    P_IGNORE_ERRORS, P_IGNORE_IPOLICY, P_INSTANCE_NAME, P_INSTANCE_UUID, P_IPOLICY, P_KIND,
    P_NDPARAMS, P_NETWORK_NAME, P_NODE_NAME, P_NODE_UUID, P_NODE_UUIDS, P_OSPARAMS_PRIVATE,
    P_OSPARAMS_SECRET, P_OUTPUT_FIELDS, P_REMOTE_NODE_UUID, P_SHUTDOWN_TIMEOUT, P_TARGET_GROUPS,
    P_TARGET_NODE, P_TARGET_NODE_UUID, P_USE_LOCKING, P_VERBOSE, P_WAIT_FOR_SYNC, SUMMARY_PREFIX,
    OpCode, TAnyDict, TListOfNonEmptyString, TMaybeAnyDict, TMaybeDictOfDicts,
    TMaybeListOfNonEmptyString, TMaybeNonEmptyString, TMaybeOsMods, TMaybePrivateDict,
    TMaybeUidRanges, check_depends, check_submit_priority, class_name_from_op_id, lu_name_for,
    make_reason, op_id_from_class_name, resolve_relative_depends,
)

# One row per parameter, kept on one line each: this is a table.

class OpBackupExport(OpCode):
    """Export an instance to a node or to a remote cluster."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_COMPRESS, P_SHUTDOWN_TIMEOUT,
        ("target_node", None, ht.TExportTarget, "Target node, or remote-export destination info"),
        P_TARGET_NODE_UUID,
        ("shutdown", True, ht.TBool, "Shut the instance down before exporting"),
        ("remove_instance", False, ht.TBool, "Remove the instance after exporting it"),
        ("ignore_remove_failures", False, ht.TBool, "Ignore failures while removing the instance"),
        ("mode", constants.EXPORT_MODE_LOCAL, ht.TExportMode, "Export mode (local or remote)"),
        ("x509_key_name", None, ht.TMaybe(ht.TListOf(ht.TAny)), "Name and signature of the X509 key (remote export)"),
        ("destination_x509_ca", None, TMaybeNonEmptyString, "Destination cluster's X509 CA (remote export)"),
        ("zero_free_space", False, ht.TBool, "Zero the free space of the disks before exporting"),
        ("zeroing_timeout_fixed", None, ht.TMaybe(ht.TInt), "Fixed part of the zeroing timeout (seconds)"),
        ("zeroing_timeout_per_mib", None, ht.TMaybe(ht.TFloat), "Per-MiB part of the zeroing timeout (seconds)"),
        ("long_sleep", False, ht.TBool, "Allow long shutdowns while exporting"),
    ]
    OP_RESULT = ht.TTupleOf(ht.TBool, ht.TListOf(ht.TBool))


class OpBackupPrepare(OpCode):
    """Prepare an instance for a remote export."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("mode", None, ht.TExportMode, "Export mode (local or remote)"),
    ]
    OP_RESULT = TMaybeAnyDict


class OpBackupRemove(OpCode):
    """Remove the exports of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
    ]
    OP_RESULT = ht.TNone


class OpClusterActivateMasterIp(OpCode):
    """Bring the master IP up."""
    OP_RESULT = ht.TNone


class OpClusterConfigQuery(OpCode):
    """Return cluster configuration values."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
    ]
    OP_RESULT = ht.TListOf(ht.TAny)


class OpClusterDeactivateMasterIp(OpCode):
    """Take the master IP down."""
    OP_RESULT = ht.TNone


class OpClusterDestroy(OpCode):
    """Destroy the cluster (the master must be its only node)."""
    OP_RESULT = ht.TNonEmptyString


class OpClusterPostInit(OpCode):
    """Run the post-initialisation hooks of a new cluster."""
    OP_RESULT = ht.TBool


class OpClusterQuery(OpCode):
    """Return the cluster's information."""
    OP_RESULT = TAnyDict


class OpClusterRedistConf(OpCode):
    """Push the configuration to all nodes again."""
    OP_RESULT = ht.TNone


class OpClusterRename(OpCode):
    """Rename the cluster."""
    OP_DSC_FIELD = "name"
    OP_PARAMS = [
        ("name", None, ht.TNonEmptyString, "New cluster name"),
    ]
    OP_RESULT = ht.TNonEmptyString


class OpClusterRenewCrypto(OpCode):
    """Renew the cluster's certificates and keys."""
    OP_PARAMS = [
        ("node_certificates", False, ht.TBool, "Renew the node certificates"),
        ("renew_ssh_keys", False, ht.TBool, "Renew the cluster's SSH keys"),
        ("ssh_key_type", None, ht.TMaybe(ht.TSshKeyType), "Type of the SSH key"),
        ("ssh_key_bits", None, ht.TMaybe(ht.TPositiveInt), "Size of the SSH key in bits"),
        P_VERBOSE,
        ("debug", False, ht.TBool, "Print debugging output"),
    ]
    OP_RESULT = ht.TNone


class OpClusterRepairDiskSizes(OpCode):
    """Correct recorded disk sizes from the nodes' reports."""
    OP_PARAMS = [
        ("instances", [], TListOfNonEmptyString, "Instances to check (empty for all)"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNonEmptyString, ht.TNonNegativeInt, ht.TNonEmptyString, ht.TNonNegativeInt))


class OpClusterSetParams(OpCode):
    """Change cluster parameters."""
    OP_PARAMS = [
        P_FORCE, P_HV_STATE, P_DISK_STATE,
        ("vg_name", None, ht.TMaybeString, "LVM volume group"),
        ("enabled_hypervisors", None, ht.TMaybe(ht.TListOf(ht.THypervisor)), "Hypervisors the cluster may use"),
        ("hvparams", None, TMaybeDictOfDicts, "Hypervisor parameters"),
        ("beparams", None, TMaybeAnyDict, "Backend parameters"),
        ("os_hvp", None, TMaybeDictOfDicts, "Per-OS hypervisor parameters"),
        ("osparams", None, TMaybeDictOfDicts, "OS parameters"),
        ("osparams_private_cluster", None, ht.TMaybe(ht.TDictOf(ht.TString, ht.TObject(ht.TPrivate(ht.TAny)))), "Per-OS private parameters"),
        P_DISKPARAMS,
        ("candidate_pool_size", None, ht.TMaybe(ht.TPositiveInt), "Desired number of master candidates"),
        ("max_running_jobs", None, ht.TMaybe(ht.TPositiveInt), "Maximum number of jobs running at once"),
        ("max_tracked_jobs", None, ht.TMaybe(ht.TPositiveInt), "Maximum number of jobs tracked by the queue"),
        ("uid_pool", None, TMaybeUidRanges, "New UID pool: list of [start, end] ranges, inclusive"),
        ("add_uids", None, TMaybeUidRanges, "UID ranges ([start, end], inclusive) to add to the pool"),
        ("remove_uids", None, TMaybeUidRanges, "UID ranges ([start, end], inclusive) to remove from the pool"),
        ("maintain_node_health", None, ht.TMaybeBool, "Let the watcher keep nodes healthy"),
        ("prealloc_wipe_disks", None, ht.TMaybeBool, "Wipe disks before allocating them"),
        ("nicparams", None, ht.TMaybe(ht.TINicParams), "NIC parameters"),
        P_NDPARAMS, P_IPOLICY,
        ("drbd_helper", None, ht.TMaybeString, "DRBD usermode helper program"),
        ("default_iallocator", None, ht.TMaybeString, "Cluster-wide default allocator script"),
        ("default_iallocator_params", None, TMaybeAnyDict, "Parameters for the default allocator"),
        ("mac_prefix", None, TMaybeNonEmptyString, "Default MAC address prefix"),
        ("master_netdev", None, ht.TMaybeString, "Network device carrying the master IP"),
        ("master_netmask", None, ht.TMaybe(ht.TNonNegativeInt), "Netmask (prefix length) of the master IP"),
        ("reserved_lvs", None, TMaybeListOfNonEmptyString, "Logical volumes that cluster verify ignores"),
        ("hidden_os", None, TMaybeOsMods, "Changes to the hidden OS list: [[add|remove, os], ...]"),
        ("blacklisted_os", None, TMaybeOsMods, "Changes to the blacklisted OS list: [[add|remove, os], ...]"),
        ("use_external_mip_script", None, ht.TMaybeBool, "Use the external master IP script"),
        ("enabled_disk_templates", None, ht.TMaybe(ht.TListOf(ht.TDiskTemplate)), "Disk templates the cluster may use"),
        ("modify_etc_hosts", None, ht.TMaybeBool, "Let Ganeti maintain /etc/hosts"),
        ("file_storage_dir", None, ht.TMaybeString, "Cluster directory for file-backed disks"),
        ("shared_file_storage_dir", None, ht.TMaybeString, "Directory for shared-file disks"),
        ("gluster_storage_dir", None, ht.TMaybeString, "Directory for Gluster-backed disks"),
        ("install_image", None, ht.TMaybeString, "Image used to run OS scripts safely"),
        ("instance_communication_network", None, ht.TMaybeString, "Network for instance communication"),
        ("zeroing_image", None, ht.TMaybeString, "Image used to zero free space"),
        ("compression_tools", None, TMaybeListOfNonEmptyString, "Compression tools allowed in the cluster"),
        ("enabled_user_shutdown", None, ht.TMaybeBool, "Allow instances to be shut down from inside"),
        ("enabled_data_collectors", None, ht.TMaybe(ht.TDictOf(ht.TString, ht.TBool)), "Enable (true) or disable (false) data collectors"),
        ("data_collector_interval", None, ht.TMaybe(ht.TDictOf(ht.TString, ht.TInt)), "Run interval (microseconds) per data collector"),
    ]
    OP_RESULT = ht.TMaybe(ht.TJobIdListOnly)


class OpClusterVerify(OpCode):
    """Verify the cluster: submits one verify job per group."""
    OP_PARAMS = [
        P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES,
        ("skip_checks", [], ht.TSetOf(ht.TVerifyOptionalChecks), "Optional checks to skip"),
        P_IGNORE_ERRORS, P_VERBOSE,
        ("group_name", None, TMaybeNonEmptyString, "Only verify this group"),
        ("verify_clutter", False, ht.TBool, "Check for files that should not be there"),
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpClusterVerifyConfig(OpCode):
    """Verify the cluster-wide configuration."""
    OP_PARAMS = [
        P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES, P_IGNORE_ERRORS, P_VERBOSE,
    ]
    OP_RESULT = ht.TBool


class OpClusterVerifyDisks(OpCode):
    """Find and activate degraded disks, one job per group."""
    OP_PARAMS = [
        ("group_name", None, TMaybeNonEmptyString, "Only verify this group"),
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpClusterVerifyGroup(OpCode):
    """Verify the nodes and instances of one group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME, P_DEBUG_SIMULATE_ERRORS, P_ERROR_CODES,
        ("skip_checks", [], ht.TSetOf(ht.TVerifyOptionalChecks), "Optional checks to skip"),
        P_IGNORE_ERRORS, P_VERBOSE,
        ("verify_clutter", False, ht.TBool, "Check for files that should not be there"),
    ]
    OP_RESULT = ht.TBool


class OpExtStorageDiagnose(OpCode):
    """Report the ext storage providers of the nodes."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
        ("names", [], TListOfNonEmptyString, "Names to query (empty for all)"),
    ]
    OP_RESULT = ht.TListOf(ht.TListOf(ht.TAny))


class OpGroupAdd(OpCode):
    """Create a node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME,
        ("alloc_policy", None, ht.TMaybe(ht.TAllocPolicy), "Allocation policy of the group"),
        P_NDPARAMS, P_DISKPARAMS, P_HV_STATE, P_DISK_STATE, P_IPOLICY,
    ]
    OP_RESULT = ht.TMaybe(ht.TJobIdListOnly)


class OpGroupAssignNodes(OpCode):
    """Move nodes into a group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME, P_FORCE,
        ("nodes", None, TListOfNonEmptyString, "Nodes to move into the group"),
        P_NODE_UUIDS,
    ]
    OP_RESULT = ht.TNone


class OpGroupEvacuate(OpCode):
    """Move all instances off a group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME, P_EARLY_RELEASE, P_IALLOCATOR, P_TARGET_GROUPS,
        ("sequential", False, ht.TBool, "Run the resulting jobs one after another"),
        ("force_failover", False, ht.TBool, "Always fail over instead of migrating"),
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpGroupRemove(OpCode):
    """Remove an empty node group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME,
    ]
    OP_RESULT = ht.TNone


class OpGroupRename(OpCode):
    """Rename a node group."""
    OP_PARAMS = [
        P_GROUP_NAME,
        ("new_name", None, ht.TNonEmptyString, "New group name"),
    ]
    OP_RESULT = ht.TNonEmptyString


class OpGroupSetParams(OpCode):
    """Change node group parameters."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        P_GROUP_NAME,
        ("alloc_policy", None, ht.TMaybe(ht.TAllocPolicy), "Allocation policy of the group"),
        P_NDPARAMS, P_DISKPARAMS, P_HV_STATE, P_DISK_STATE, P_IPOLICY,
    ]
    OP_RESULT = ht.TSetParamsResult


class OpGroupVerifyDisks(OpCode):
    """Find and activate degraded disks of a group."""
    OP_DSC_FIELD = "group_name"
    OP_PARAMS = [
        ("group_name", None, ht.TNonEmptyString, "Group whose disks to verify"),
    ]
    OP_RESULT = ht.TTupleOf(ht.TDictOf(ht.TString, ht.TString), ht.TListOf(ht.TString), ht.TDictOf(ht.TString, ht.TListOf(ht.TListOf(ht.TString))))


class OpInstanceActivateDisks(OpCode):
    """Activate an instance's disks."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("ignore_size", False, ht.TBool, "Ignore the recorded disk sizes"),
        ("wait_for_sync", False, ht.TBool, "Wait for the disks to synchronize"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNonEmptyString, ht.TNonEmptyString, TMaybeNonEmptyString))


class OpInstanceChangeGroup(OpCode):
    """Move an instance to another group."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_EARLY_RELEASE, P_IALLOCATOR, P_TARGET_GROUPS,
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpInstanceConsole(OpCode):
    """Return how to connect to an instance's console."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
    ]
    OP_RESULT = TAnyDict


class OpInstanceCreate(OpCode):
    """Create (or import) an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_FORCE_VARIANT, P_WAIT_FOR_SYNC,
        ("name_check", True, ht.TBool, "Check that the name resolves"),
        P_IGNORE_IPOLICY,
        ("opportunistic_locking", False, ht.TBool, "Lock only the nodes that are free"),
        ("beparams", {}, TAnyDict, "Backend parameters"),
        ("disks", None, ht.TListOf(ht.TIDiskParams), "Disk specifications (dicts of IDISK_* keys)"),
        ("disk_template", None, ht.TMaybe(ht.TDiskTemplate), "Disk template"),
        ("group_name", None, TMaybeNonEmptyString, "Group to place the instance in"),
        ("file_driver", None, ht.TMaybe(ht.TFileDriver), "Driver for file-backed disks"),
        ("file_storage_dir", None, TMaybeNonEmptyString, "Directory for file-backed disks"),
        ("hvparams", {}, TAnyDict, "Hypervisor parameters"),
        ("hypervisor", None, ht.TMaybe(ht.THypervisor), "Hypervisor"),
        P_IALLOCATOR,
        ("identify_defaults", False, ht.TBool, "Store parameters equal to the defaults as defaults"),
        ("ip_check", True, ht.TBool, "Check that the instance's IP is not in use"),
        P_CONFLICTS_CHECK,
        ("mode", None, ht.TInstCreateMode, "Creation mode (create, import, remote-import)"),
        ("nics", None, ht.TListOf(ht.TINicParams), "NIC specifications (dicts of INIC_* keys)"),
        ("no_install", None, ht.TMaybeBool, "Do not run the OS installation scripts"),
        ("osparams", {}, TAnyDict, "OS parameters"),
        P_OSPARAMS_PRIVATE, P_OSPARAMS_SECRET,
        ("os_type", None, TMaybeNonEmptyString, "Operating system"),
        ("pnode", None, TMaybeNonEmptyString, "Primary node"),
        ("pnode_uuid", None, TMaybeNonEmptyString, "Primary node UUID"),
        ("snode", None, TMaybeNonEmptyString, "Secondary node"),
        ("snode_uuid", None, TMaybeNonEmptyString, "Secondary node UUID"),
        ("source_handshake", None, ht.TMaybe(ht.TListOf(ht.TAny)), "Handshake from the source cluster (remote import)"),
        ("source_instance_name", None, TMaybeNonEmptyString, "Instance name on the source cluster"),
        ("source_shutdown_timeout", constants.DEFAULT_SHUTDOWN_TIMEOUT, ht.TNonNegativeInt, "Seconds to wait for the source instance to shut down"),
        ("source_x509_ca", None, TMaybeNonEmptyString, "Source cluster's X509 CA (remote import)"),
        ("src_node", None, TMaybeNonEmptyString, "Node holding the export"),
        ("src_node_uuid", None, TMaybeNonEmptyString, "UUID of the node holding the export"),
        ("src_path", None, TMaybeNonEmptyString, "Path of the export"),
        P_COMPRESS,
        ("start", True, ht.TBool, "Start the instance afterwards"),
        ("forthcoming", False, ht.TBool, "Only reserve resources, do not create the instance"),
        ("commit", False, ht.TBool, "Commit a forthcoming instance into a real one"),
        ("tags", [], TListOfNonEmptyString, "Tags of the instance"),
        ("instance_communication", False, ht.TBool, "Enable communication with the instance via the helper network"),
        ("helper_startup_timeout", None, ht.TMaybe(ht.TInt), "Seconds to wait for the helper VM to start"),
        ("helper_shutdown_timeout", None, ht.TMaybe(ht.TInt), "Seconds to wait for the helper VM to shut down"),
    ]
    OP_RESULT = TListOfNonEmptyString


class OpInstanceDeactivateDisks(OpCode):
    """Deactivate an instance's disks."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE,
    ]
    OP_RESULT = ht.TNone


class OpInstanceFailover(OpCode):
    """Fail an instance over to another node."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT, P_IGNORE_CONSISTENCY, P_TARGET_NODE, P_TARGET_NODE_UUID, P_IGNORE_IPOLICY,
        ("cleanup", False, ht.TBool, "Only clean up after a failed migration"),
        P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceGrowDisk(OpCode):
    """Grow one disk of an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_WAIT_FOR_SYNC,
        ("disk", None, ht.TDiskIndex, "Index of the disk"),
        ("amount", None, ht.TNonNegativeInt, "Size in MiB to grow the disk by (or to, if absolute)"),
        ("absolute", False, ht.TBool, "Whether the amount is the new total size rather than an increment"),
        P_IGNORE_IPOLICY,
    ]
    OP_RESULT = ht.TNone


class OpInstanceMigrate(OpCode):
    """Migrate an instance to another node."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("mode", None, ht.TMaybe(ht.TMigrationMode), "Migration mode (live or non-live)"),
        ("live", None, ht.TMaybeBool, "Migrate live (deprecated, use mode)"),
        P_TARGET_NODE, P_TARGET_NODE_UUID,
        ("allow_runtime_changes", True, ht.TBool, "Allow memory to be changed at run time to fit the target"),
        P_IGNORE_IPOLICY,
        ("cleanup", False, ht.TBool, "Only clean up after a failed migration"),
        P_IALLOCATOR,
        ("allow_failover", False, ht.TBool, "Fall back to failover if migration is impossible"),
        ("ignore_hvversions", False, ht.TBool, "Ignore hypervisor version differences"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceMove(OpCode):
    """Move an instance by copying its disks."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT, P_IGNORE_IPOLICY,
        ("target_node", None, ht.TNonEmptyString, "Target node"),
        P_TARGET_NODE_UUID, P_COMPRESS, P_IGNORE_CONSISTENCY,
    ]
    OP_RESULT = ht.TNone


class OpInstanceMultiAlloc(OpCode):
    """Allocate several instances at once."""
    OP_PARAMS = [
        ("opportunistic_locking", False, ht.TBool, "Lock only the nodes that are free"),
        P_IALLOCATOR,
        ("instances", [], ht.TListOf(ht.TAny), "OP_INSTANCE_CREATE opcodes to allocate"),
    ]
    OP_RESULT = ht.TInstanceMultiAllocResponse

    # fmt: on
    # on the wire the instances are opcode dicts; in memory, OpInstanceCreate objects
    def to_dict(self) -> dict:
        data = OpCode.to_dict(self)
        if isinstance(data.get("instances"), list):
            data["instances"] = [
                inst.to_dict() if isinstance(inst, OpCode) else inst for inst in data["instances"]
            ]
        return data

    def _load_state(self, state: dict) -> None:
        instances = state.get("instances")
        if isinstance(instances, list):
            state["instances"] = [
                OpInstanceCreate.load_op_code(inst) if isinstance(inst, dict) else inst
                for inst in instances
            ]
        self.__dict__ = state

    # fmt: off


class OpInstanceQueryData(OpCode):
    """Return detailed data about instances."""
    OP_PARAMS = [
        P_USE_LOCKING,
        ("instances", [], TListOfNonEmptyString, "Instances to query (empty for all)"),
        ("static", False, ht.TBool, "Return only configuration data, do not ask the nodes"),
    ]
    OP_RESULT = ht.TObject(TAnyDict)


class OpInstanceReboot(OpCode):
    """Reboot an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        ("ignore_secondaries", False, ht.TBool, "Ignore errors from secondary nodes"),
        ("reboot_type", None, ht.TRebootType, "Kind of reboot"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceRecreateDisks(OpCode):
    """Recreate an instance's missing disks."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("disks", [], ht.TRecreateDisksInfo, "Disk indices, or [index, params] pairs (empty: all)"),
        ("nodes", [], TListOfNonEmptyString, "New nodes for the disks"),
        P_NODE_UUIDS, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceReinstall(OpCode):
    """Reinstall an instance's operating system."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE_VARIANT,
        ("os_type", None, TMaybeNonEmptyString, "Operating system"),
        ("osparams", None, TMaybeAnyDict, "OS parameters"),
        P_OSPARAMS_PRIVATE, P_OSPARAMS_SECRET,
    ]
    OP_RESULT = ht.TNone


class OpInstanceRemove(OpCode):
    """Remove an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_SHUTDOWN_TIMEOUT,
        ("ignore_failures", False, ht.TBool, "Carry on despite failures"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceRename(OpCode):
    """Rename an instance."""
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID,
        ("new_name", None, ht.TNonEmptyString, "New instance name"),
        ("name_check", True, ht.TBool, "Check that the name resolves"),
        ("ip_check", True, ht.TBool, "Check that the instance's IP is not in use"),
    ]
    OP_RESULT = ht.TNonEmptyString


class OpInstanceReplaceDisks(OpCode):
    """Replace the disks of a mirrored instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_EARLY_RELEASE, P_IGNORE_IPOLICY,
        ("mode", None, ht.TReplaceDisksMode, "Replacement mode"),
        ("disks", [], ht.TListOf(ht.TDiskIndex), "Indices of the disks to replace (empty: all)"),
        ("remote_node", None, TMaybeNonEmptyString, "New secondary node"),
        P_REMOTE_NODE_UUID, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TNone


class OpInstanceSetParams(OpCode):
    """Change instance parameters and devices."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE, P_FORCE_VARIANT, P_IGNORE_IPOLICY,
        ("nics", [], ht.TSetParamsMods(ht.TINicParams), "NIC changes: [[op, index, params], ...]"),
        ("disks", [], ht.TSetParamsMods(ht.TIDiskParams), "Disk changes: [[op, index, params], ...]"),
        ("beparams", {}, TAnyDict, "Backend parameter changes"),
        ("runtime_mem", None, ht.TMaybe(ht.TPositiveInt), "Memory to give the running instance (MiB)"),
        ("hvparams", {}, TAnyDict, "Hypervisor parameter changes"),
        ("disk_template", None, ht.TMaybe(ht.TDiskTemplate), "New disk template"),
        ("ext_params", {}, TAnyDict, "Parameters for the ext storage provider"),
        ("file_driver", None, ht.TMaybe(ht.TFileDriver), "Driver for file-backed disks"),
        ("file_storage_dir", None, TMaybeNonEmptyString, "Directory for file-backed disks"),
        ("pnode", None, TMaybeNonEmptyString, "New primary node"),
        ("pnode_uuid", None, TMaybeNonEmptyString, "Primary node UUID"),
        ("remote_node", None, TMaybeNonEmptyString, "Secondary node for a disk template change"),
        P_REMOTE_NODE_UUID, P_IALLOCATOR,
        ("os_name", None, TMaybeNonEmptyString, "New operating system"),
        ("osparams", {}, TAnyDict, "OS parameter changes"),
        P_OSPARAMS_PRIVATE, P_WAIT_FOR_SYNC,
        ("offline", None, ht.TMaybeBool, "Mark the instance offline (true) or online (false)"),
        P_CONFLICTS_CHECK,
        ("hotplug", False, ht.TBool, "Apply device changes to the running instance"),
        ("hotplug_if_possible", False, ht.TBool, "Hotplug if the hypervisor supports it"),
        ("instance_communication", None, ht.TMaybeBool, "Enable communication with the instance via the helper network"),
    ]
    OP_RESULT = ht.TSetParamsResult


class OpInstanceShutdown(OpCode):
    """Stop an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE,
        ("ignore_offline_nodes", False, ht.TBool, "Ignore offline nodes"),
        ("timeout", constants.DEFAULT_SHUTDOWN_TIMEOUT, ht.TNonNegativeInt, "Timeout in seconds"),
        ("no_remember", False, ht.TBool, "Do not record the state change in the configuration"),
        ("admin_state_source", None, ht.TMaybe(ht.TAdminStateSource), "Who requested the state change (admin or user)"),
    ]
    OP_RESULT = ht.TNone


class OpInstanceStartup(OpCode):
    """Start an instance."""
    OP_DSC_FIELD = "instance_name"
    OP_PARAMS = [
        P_INSTANCE_NAME, P_INSTANCE_UUID, P_FORCE,
        ("ignore_offline_nodes", False, ht.TBool, "Ignore offline nodes"),
        ("hvparams", {}, TAnyDict, "Temporary hypervisor parameters"),
        ("beparams", {}, TAnyDict, "Temporary backend parameters"),
        ("no_remember", False, ht.TBool, "Do not record the state change in the configuration"),
        ("startup_paused", False, ht.TBool, "Start the instance paused"),
        P_SHUTDOWN_TIMEOUT,
    ]
    OP_RESULT = ht.TNone


class OpNetworkAdd(OpCode):
    """Create an IP network."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_NETWORK_NAME,
        ("network", None, ht.TIPv4Network, "IPv4 network in CIDR notation"),
        ("gateway", None, ht.TMaybe(ht.TIPv4Address), "IPv4 gateway of the network"),
        ("network6", None, ht.TMaybe(ht.TIPv6Network), "IPv6 network in CIDR notation"),
        ("gateway6", None, ht.TMaybe(ht.TIPv6Address), "IPv6 gateway of the network"),
        ("mac_prefix", None, TMaybeNonEmptyString, "MAC address prefix"),
        ("add_reserved_ips", None, ht.TMaybe(ht.TListOf(ht.TIPv4Address)), "Addresses to add to the network's reserved set"),
        P_CONFLICTS_CHECK,
        ("tags", [], TListOfNonEmptyString, "Tags of the network"),
    ]
    OP_RESULT = ht.TNone


class OpNetworkConnect(OpCode):
    """Connect a network to a node group."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        ("group_name", None, ht.TNonEmptyString, "Group to connect the network to"),
        P_NETWORK_NAME,
        ("network_mode", None, ht.TNICMode, "Connection mode of the network on the group"),
        ("network_link", None, ht.TNonEmptyString, "Link of the network on the group"),
        ("network_vlan", "", ht.TString, "VLAN of the network on the group"),
        P_CONFLICTS_CHECK,
    ]
    OP_RESULT = ht.TNone


class OpNetworkDisconnect(OpCode):
    """Disconnect a network from a node group."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        ("group_name", None, ht.TNonEmptyString, "Group to disconnect the network from"),
        P_NETWORK_NAME,
    ]
    OP_RESULT = ht.TNone


class OpNetworkRemove(OpCode):
    """Remove a network."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_NETWORK_NAME, P_FORCE,
    ]
    OP_RESULT = ht.TNone


class OpNetworkSetParams(OpCode):
    """Change network parameters."""
    OP_DSC_FIELD = "network_name"
    OP_PARAMS = [
        P_NETWORK_NAME,
        ("gateway", None, ht.TMaybe(ht.TIPv4Address), "IPv4 gateway of the network"),
        ("network6", None, ht.TMaybe(ht.TIPv6Network), "IPv6 network in CIDR notation"),
        ("gateway6", None, ht.TMaybe(ht.TIPv6Address), "IPv6 gateway of the network"),
        ("mac_prefix", None, TMaybeNonEmptyString, "MAC address prefix"),
        ("add_reserved_ips", None, ht.TMaybe(ht.TListOf(ht.TIPv4Address)), "Addresses to add to the network's reserved set"),
        ("remove_reserved_ips", None, ht.TMaybe(ht.TListOf(ht.TIPv4Address)), "Addresses to remove from the network's reserved set"),
    ]
    OP_RESULT = ht.TNone


class OpNodeAdd(OpCode):
    """Add a node to the cluster."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_HV_STATE, P_DISK_STATE,
        ("primary_ip", None, TMaybeNonEmptyString, "Primary IP address"),
        ("secondary_ip", None, TMaybeNonEmptyString, "Secondary (replication) IP address"),
        ("readd", False, ht.TBool, "Re-add a node that was in the cluster"),
        ("group", None, TMaybeNonEmptyString, "Node group to place the node in"),
        ("master_capable", None, ht.TMaybeBool, "Whether the node can become master"),
        ("vm_capable", None, ht.TMaybeBool, "Whether the node can host instances"),
        ("ndparams", None, TMaybeAnyDict, "Node parameters"),
        ("node_setup", False, ht.TBool, "Set up the node over SSH"),
    ]
    OP_RESULT = ht.TNone


class OpNodeEvacuate(OpCode):
    """Move instances off a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_EARLY_RELEASE, P_NODE_NAME, P_NODE_UUID,
        ("remote_node", None, TMaybeNonEmptyString, "New secondary node"),
        P_REMOTE_NODE_UUID, P_IALLOCATOR,
        ("mode", None, ht.TEvacMode, "Which instances to evacuate"),
        ("ignore_soft_errors", None, ht.TMaybeBool, "Ignore soft allocator errors"),
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpNodeMigrate(OpCode):
    """Migrate all primary instances of a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID,
        ("mode", None, ht.TMaybe(ht.TMigrationMode), "Migration mode (live or non-live)"),
        ("live", None, ht.TMaybeBool, "Migrate live (deprecated, use mode)"),
        P_TARGET_NODE, P_TARGET_NODE_UUID,
        ("allow_runtime_changes", True, ht.TBool, "Allow memory to be changed at run time to fit the target"),
        P_IGNORE_IPOLICY, P_IALLOCATOR,
    ]
    OP_RESULT = ht.TJobIdListOnly


class OpNodeModifyStorage(OpCode):
    """Change a storage unit on a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID,
        ("storage_type", None, ht.TStorageType, "Storage type"),
        ("name", None, TMaybeNonEmptyString, "Storage unit to modify"),
        ("changes", None, TAnyDict, "Storage unit changes to apply"),
    ]
    OP_RESULT = ht.TNone


class OpNodePowercycle(OpCode):
    """Power-cycle a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID, P_FORCE,
    ]
    OP_RESULT = TMaybeNonEmptyString


class OpNodeQueryStorage(OpCode):
    """Return storage units of nodes."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
        ("storage_type", None, ht.TMaybe(ht.TStorageType), "Storage type"),
        ("nodes", [], TListOfNonEmptyString, "Nodes to query (empty for all)"),
        ("name", None, TMaybeNonEmptyString, "Storage unit to query"),
    ]
    OP_RESULT = ht.TListOf(ht.TListOf(ht.TAny))


class OpNodeQueryvols(OpCode):
    """Return the logical volumes of nodes."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
        ("nodes", [], TListOfNonEmptyString, "Nodes to query (empty for all)"),
    ]
    OP_RESULT = ht.TListOf(ht.TAny)


class OpNodeRemove(OpCode):
    """Remove a node from the cluster."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID,
    ]
    OP_RESULT = ht.TNone


class OpNodeSetParams(OpCode):
    """Change node parameters and roles."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID, P_FORCE, P_HV_STATE, P_DISK_STATE,
        ("master_candidate", None, ht.TMaybeBool, "Make the node a master candidate"),
        ("offline", None, ht.TMaybeBool, "Mark the node offline"),
        ("drained", None, ht.TMaybeBool, "Mark the node as drained"),
        ("auto_promote", False, ht.TBool, "Promote other nodes to master candidate if needed"),
        ("master_capable", None, ht.TMaybeBool, "Whether the node can become master"),
        ("vm_capable", None, ht.TMaybeBool, "Whether the node can host instances"),
        ("secondary_ip", None, TMaybeNonEmptyString, "Secondary (replication) IP address"),
        P_NDPARAMS,
        ("powered", None, ht.TMaybeBool, "Whether the node is powered"),
    ]
    OP_RESULT = ht.TSetParamsResult


class OpOobCommand(OpCode):
    """Run an out-of-band command on nodes."""
    OP_PARAMS = [
        ("node_names", [], TListOfNonEmptyString, "Nodes to run the command on"),
        P_NODE_UUIDS,
        ("command", None, ht.TOobCommand, "Out-of-band command"),
        ("timeout", constants.OOB_TIMEOUT, ht.TInt, "Seconds to wait for the OOB helper"),
        ("ignore_status", False, ht.TBool, "Ignore the node status reported by the OOB helper"),
        ("power_delay", constants.OOB_POWER_DELAY, ht.TFloat, "Seconds to wait between powering on nodes"),
    ]
    OP_RESULT = ht.TListOf(ht.TListOf(ht.TTupleOf(ht.TQueryResultCode, ht.TAny)))


class OpOsDiagnose(OpCode):
    """Report the operating systems on the nodes."""
    OP_PARAMS = [
        P_OUTPUT_FIELDS,
        ("names", [], TListOfNonEmptyString, "Names to query (empty for all)"),
    ]
    OP_RESULT = ht.TListOf(ht.TListOf(ht.TAny))


class OpQuery(OpCode):
    """Query a resource (generic query)."""
    OP_DSC_FIELD = "what"
    OP_PARAMS = [
        ("what", None, ht.TQueryTypeOp, "Resource to query"),
        P_USE_LOCKING,
        ("fields", None, TListOfNonEmptyString, "Fields to return"),
        ("qfilter", None, ht.TMaybe(ht.TListOf(ht.TAny)), "Query filter"),
    ]
    OP_RESULT = ht.TQueryResponse


class OpQueryFields(OpCode):
    """Describe the fields of a resource."""
    OP_DSC_FIELD = "what"
    OP_PARAMS = [
        ("what", None, ht.TQueryTypeOp, "Resource to query"),
        ("fields", None, TMaybeListOfNonEmptyString, "Fields to describe (none for all)"),
    ]
    OP_RESULT = ht.TQueryFieldsResponse


class OpRepairNodeStorage(OpCode):
    """Repair a storage unit on a node."""
    OP_DSC_FIELD = "node_name"
    OP_PARAMS = [
        P_NODE_NAME, P_NODE_UUID,
        ("storage_type", None, ht.TStorageType, "Storage type"),
        ("name", None, TMaybeNonEmptyString, "Storage unit to repair"),
        P_IGNORE_CONSISTENCY,
    ]
    OP_RESULT = ht.TNone


class OpRestrictedCommand(OpCode):
    """Run a restricted command on nodes."""
    OP_PARAMS = [
        P_USE_LOCKING,
        ("nodes", None, TListOfNonEmptyString, "Nodes to run the command on"),
        P_NODE_UUIDS,
        ("command", None, ht.TNonEmptyString, "Name of the restricted command"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TBool, ht.TString))


class OpTagsDel(OpCode):
    """Remove tags from an object."""
    OP_PARAMS = [
        P_KIND,
        ("tags", None, ht.TListOf(ht.TString), "Tags to remove"),
        ("name", None, ht.TMaybeString, "Name of the object (none for the cluster)"),
    ]
    OP_RESULT = ht.TNone


class OpTagsGet(OpCode):
    """Return the tags of an object."""
    OP_DSC_FIELD = "name"
    OP_PARAMS = [
        P_KIND, P_USE_LOCKING,
        ("name", None, ht.TMaybeString, "Name of the object (none for the cluster)"),
    ]
    OP_RESULT = TListOfNonEmptyString


class OpTagsSearch(OpCode):
    """Find objects whose tags match a pattern."""
    OP_DSC_FIELD = "pattern"
    OP_PARAMS = [
        ("pattern", None, ht.TNonEmptyString, "Regular expression to search tags for"),
    ]
    OP_RESULT = ht.TListOf(ht.TTupleOf(ht.TNonEmptyString, ht.TNonEmptyString))


class OpTagsSet(OpCode):
    """Add tags to an object."""
    OP_PARAMS = [
        P_KIND,
        ("tags", None, ht.TListOf(ht.TString), "Tags to add"),
        ("name", None, ht.TMaybeString, "Name of the object (none for the cluster)"),
    ]
    OP_RESULT = ht.TNone


class OpTestAllocator(OpCode):
    """Run (or build the input of) an allocator request."""
    OP_DSC_FIELD = "iallocator"
    OP_PARAMS = [
        ("direction", None, ht.TIAllocatorTestDir, "Run the allocator (out) or only build its input (in)"),
        ("mode", None, ht.TIAllocatorMode, "Allocator request type"),
        ("name", None, ht.TNonEmptyString, "Name of the instance or node in the request"),
        ("nics", None, ht.TMaybe(ht.TListOf(ht.TINicParams)), "NICs of the instance"),
        ("disks", None, ht.TMaybe(ht.TListOf(ht.TAny)), "Disks of the instance"),
        ("hypervisor", None, ht.TMaybe(ht.THypervisor), "Hypervisor of the instance"),
        P_IALLOCATOR,
        ("tags", [], TListOfNonEmptyString, "Tags of the instance"),
        ("memory", None, ht.TMaybe(ht.TNonNegativeInt), "Memory of the instance (MiB)"),
        ("vcpus", None, ht.TMaybe(ht.TNonNegativeInt), "Virtual CPUs of the instance"),
        ("os", None, TMaybeNonEmptyString, "OS of the instance"),
        ("disk_template", None, ht.TMaybe(ht.TDiskTemplate), "Disk template"),
        ("instances", None, TMaybeListOfNonEmptyString, "Instances to evacuate or move"),
        ("evac_mode", None, ht.TMaybe(ht.TEvacMode), "Which instances to evacuate"),
        P_TARGET_GROUPS,
        ("spindle_use", 1, ht.TNonNegativeInt, "Spindles used by the instance"),
        ("count", 1, ht.TNonNegativeInt, "Number of instances (multi-allocate)"),
        ("group_name", None, TMaybeNonEmptyString, "Group of the instance"),
    ]
    OP_RESULT = ht.TString


class OpTestDelay(OpCode):
    """Sleep on the master and/or nodes (testing)."""
    OP_DSC_FIELD = "duration"
    OP_PARAMS = [
        ("duration", None, ht.TFloat, "Seconds to sleep"),
        ("on_master", True, ht.TBool, "Sleep on the master"),
        ("on_nodes", [], TListOfNonEmptyString, "Nodes to sleep on"),
        ("on_node_uuids", None, TMaybeListOfNonEmptyString, "UUIDs of the nodes to sleep on"),
        ("repeat", 0, ht.TNonNegativeInt, "Number of repetitions (0 means once)"),
        ("interruptible", False, ht.TBool, "Allow the delay to be cancelled"),
        ("no_locks", True, ht.TBool, "Do not take any locks"),
    ]
    OP_RESULT = ht.TNone


class OpTestDummy(OpCode):
    """Do nothing; never reaches an LU (testing)."""
    OP_PARAMS = [
        ("result", None, ht.TAny, "Value to return as the result"),
        ("messages", None, ht.TAny, "Messages to emit"),
        ("fail", None, ht.TAny, "Whether to fail"),
        ("submit_jobs", None, ht.TAny, "Jobs to submit"),
    ]
    OP_RESULT = None
    WITH_LU = False


class OpTestJqueue(OpCode):
    """Exercise the job queue (testing)."""
    OP_PARAMS = [
        ("notify_waitlock", False, ht.TBool, "Notify while waiting for locks"),
        ("notify_exec", False, ht.TBool, "Notify when execution starts"),
        ("log_messages", [], ht.TListOf(ht.TString), "Messages to log"),
        ("fail", False, ht.TBool, "Fail at the end"),
    ]
    OP_RESULT = ht.TBool


class OpTestOsParams(OpCode):
    """Check the handling of secret OS parameters (testing)."""
    OP_PARAMS = [
        P_OSPARAMS_SECRET,
    ]
    OP_RESULT = ht.TNone

# fmt: on

OP_MAPPING.update(
    (cls.OP_ID, cls)
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, OpCode) and cls is not OpCode
)

#: every OP_ID, sorted
ALL_OP_IDS = tuple(sorted(OP_MAPPING))
