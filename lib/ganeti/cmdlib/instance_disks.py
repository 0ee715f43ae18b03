"""An instance's disks, as the instance LUs plan and handle them.

Owns the per-template disk layout (diskless, file, sharedfile, blockdev):
checking the template and the disk specifications, where file disks live,
new Disk objects, and creating, removing, assembling and shutting down an
instance's disks on their nodes over RPC (removing what a failed creation
made).  It must never write config.data except through ConfigWriter, nor
reach a node except through ``lu.rpc``.
"""

import os
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import objects

#: templates whose storage this build cannot provide yet
_UNAVAILABLE_TEMPLATES = {
    constants.DT_PLAIN: "LVM",
    constants.DT_DRBD8: "DRBD",
    constants.DT_RBD: "RBD",
    constants.DT_EXT: "external",
    constants.DT_GLUSTER: "Gluster",
}

_SUPPORTED_TEMPLATES = frozenset(
    [constants.DT_DISKLESS, constants.DT_FILE, constants.DT_SHARED_FILE, constants.DT_BLOCK]
)


def check_disk_template(cluster: Any, template: str | None) -> str:
    """The template, checked: enabled on the cluster and storable here."""
    if template is None:
        raise errors.OpPrereqError("No disk template given", errors.ECODE_INVAL)
    if template not in constants.DISK_TEMPLATES:
        raise errors.OpPrereqError("Invalid disk template '%s'" % template, errors.ECODE_INVAL)
    if not cluster.is_disk_template_enabled(template):
        raise errors.OpPrereqError(
            "Disk template '%s' is not enabled in cluster. Enabled disk templates are: %s"
            % (template, ",".join(cluster.enabled_disk_templates or [])),
            errors.ECODE_STATE,
        )
    if template not in _SUPPORTED_TEMPLATES:
        raise errors.OpPrereqError(
            "Disk template '%s' needs %s storage, which is not available on this system"
            % (template, _UNAVAILABLE_TEMPLATES.get(template, template)),
            errors.ECODE_ENVIRON,
        )
    return template


def compute_disks(disk_specs: list[dict], template: str) -> list[dict]:
    """Checked disk specifications: ``{size, mode, name, adopt?, spindles?}``."""
    if template == constants.DT_DISKLESS:
        if disk_specs:
            raise errors.OpPrereqError(
                "Diskless instances cannot have disks (%d given)" % len(disk_specs),
                errors.ECODE_INVAL,
            )
        return []
    if not disk_specs:
        raise errors.OpPrereqError(
            "Disk template '%s' needs at least one disk" % template, errors.ECODE_INVAL
        )
    if len(disk_specs) > constants.MAX_DISKS:
        raise errors.OpPrereqError(
            "Too many disks (%d), at most %d allowed" % (len(disk_specs), constants.MAX_DISKS),
            errors.ECODE_INVAL,
        )
    result = []
    names: set = set()
    adopted = 0
    for idx, spec in enumerate(disk_specs):
        spec = dict(spec or {})
        unknown = sorted(set(spec) - set(constants.IDISK_PARAMS_TYPES))
        if unknown:
            raise errors.OpPrereqError(
                "Unknown disk parameter(s) for disk %d: %s" % (idx, ", ".join(unknown)),
                errors.ECODE_INVAL,
            )
        mode = spec.get(constants.IDISK_MODE, constants.DISK_RDWR)
        if mode not in constants.DISK_ACCESS_SET:
            raise errors.OpPrereqError("Invalid disk access mode '%s'" % mode, errors.ECODE_INVAL)
        adopt = spec.get(constants.IDISK_ADOPT)
        size = spec.get(constants.IDISK_SIZE)
        if size is None and adopt is None:
            raise errors.OpPrereqError("Missing disk size for disk %d" % idx, errors.ECODE_INVAL)
        if size is not None:
            size = parse_disk_size(size, idx)
        disk: dict[str, Any] = {
            constants.IDISK_SIZE: size if size is not None else 0,
            constants.IDISK_MODE: mode,
            constants.IDISK_NAME: None,
        }
        name = spec.get(constants.IDISK_NAME)
        if name is not None and str(name).lower() != constants.VALUE_NONE:
            if name in names:
                raise errors.OpPrereqError(
                    "Duplicate disk name '%s'" % name, errors.ECODE_NOTUNIQUE
                )
            names.add(name)
            disk[constants.IDISK_NAME] = name
        if spec.get(constants.IDISK_SPINDLES) is not None:
            try:
                disk[constants.IDISK_SPINDLES] = int(spec[constants.IDISK_SPINDLES])
            except (TypeError, ValueError):
                raise errors.OpPrereqError(
                    "Invalid spindles '%s' for disk %d" % (spec[constants.IDISK_SPINDLES], idx),
                    errors.ECODE_INVAL,
                ) from None
        if adopt is not None:
            adopted += 1
            disk[constants.IDISK_ADOPT] = adopt
        result.append(disk)
    if adopted:
        if adopted != len(result):
            raise errors.OpPrereqError(
                "Either all disks are adopted or none is", errors.ECODE_INVAL
            )
        if template != constants.DT_BLOCK:
            raise errors.OpPrereqError(
                "Disk adoption is not supported for the '%s' disk template" % template,
                errors.ECODE_INVAL,
            )
    elif template == constants.DT_BLOCK:
        raise errors.OpPrereqError(
            "Disk template blockdev requires disk adoption, but no 'adopt' parameter given",
            errors.ECODE_INVAL,
        )
    return result


def parse_disk_size(size: Any, idx: int) -> int:
    from ganeti.utils import text as utils_text

    try:
        value = utils_text.parse_unit(size) if isinstance(size, str) else int(size)
    except (errors.UnitParseError, TypeError, ValueError):
        raise errors.OpPrereqError(
            "Invalid disk size '%s' for disk %d" % (size, idx), errors.ECODE_INVAL
        ) from None
    if value < 1 or isinstance(size, bool):
        raise errors.OpPrereqError(
            "Invalid disk size '%s' for disk %d" % (size, idx), errors.ECODE_INVAL
        )
    return value


def file_storage_dir(
    cluster: Any, template: str, instance_name: str, subdir: str | None = None
) -> str | None:
    """The directory of a file-based instance's disks (None for others)."""
    if template == constants.DT_FILE:
        base = cluster.file_storage_dir
    elif template == constants.DT_SHARED_FILE:
        base = cluster.shared_file_storage_dir
    else:
        return None
    if not base:
        raise errors.OpPrereqError(
            "Cluster file storage directory for template '%s' is not set" % template,
            errors.ECODE_STATE,
        )
    if subdir:
        if os.path.isabs(subdir) or ".." in subdir.split("/"):
            raise errors.OpPrereqError(
                "File storage directory '%s' must be relative and stay below %s" % (subdir, base),
                errors.ECODE_INVAL,
            )
        base = os.path.join(base, subdir)
    return os.path.normpath(os.path.join(base, instance_name))


def generate_disks(
    cfg: Any,
    job: Any,
    template: str,
    primary: str,
    disk_info: list[dict],
    storage_dir: str | None,
    file_driver: str | None,
    base_index: int = 0,
) -> list[objects.Disk]:
    """Disk objects (with UUIDs reserved for ``job``) for new disks."""
    disks = []
    for offset, info in enumerate(disk_info):
        idx = base_index + offset
        uuid = cfg.generate_unique_id(job)
        if template in (constants.DT_FILE, constants.DT_SHARED_FILE):
            path = os.path.join(storage_dir, "%s.%s.disk%d" % (uuid, template, idx))
            logical_id = [file_driver or constants.FD_LOOP, path]
        elif template == constants.DT_BLOCK:
            logical_id = [constants.BLOCKDEV_DRIVER_MANUAL, info[constants.IDISK_ADOPT]]
        else:
            raise errors.ProgrammerError("Cannot generate disks of template %s" % template)
        disks.append(
            objects.Disk(
                dev_type=template,
                size=info[constants.IDISK_SIZE],
                mode=info.get(constants.IDISK_MODE, constants.DISK_RDWR),
                logical_id=logical_id,
                nodes=[primary],
                iv_name="disk/%d" % idx,
                name=info.get(constants.IDISK_NAME),
                spindles=info.get(constants.IDISK_SPINDLES),
                params={},
                uuid=uuid,
                children=[],
            )
        )
    return disks


def instance_info_text(inst: Any) -> str:
    """The text stored with an instance's block devices."""
    return "originstname+%s" % inst.name


def _storage_dirs(disks: list) -> list[tuple[str, str]]:
    """(node, directory) of file-based disks, one per pair."""
    result: list[tuple[str, str]] = []
    for disk in disks:
        if disk.dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE) and disk.logical_id:
            entry = (disk.nodes[0] if disk.nodes else None, os.path.dirname(disk.logical_id[1]))
            if entry not in result:
                result.append(entry)
    return result


def create_disks(
    lu: Any, inst: objects.Instance, disks: list[objects.Disk], feedback_fn: Callable
) -> None:
    """Creates ``disks`` on their nodes; on any failure removes what it made.

    One ``blockdev_create`` per disk and node (the only shape the RPC has);
    the disk sizes come back as created.
    """
    created: list[tuple[objects.Disk, str]] = []
    try:
        for disk in disks:
            for node in disk.all_nodes:
                on_primary = node == inst.primary_node
                res = lu.rpc.call_blockdev_create(
                    node,
                    (disk, inst),
                    disk.size,
                    inst.name,
                    on_primary,
                    instance_info_text(inst),
                    False,
                )
                res.raise_error(
                    "Can't create block device %s on node %s for instance %s"
                    % (disk.iv_name, lu.cfg.get_node_name(node), inst.name)
                )
                created.append((disk, node))
    except errors.GenericError:
        for disk, node in reversed(created):
            res = lu.rpc.call_blockdev_remove(node, (disk, inst))
            if res.fail_msg:
                lu.log_warning(
                    "Failed to remove newly-created disk %s on node %s: %s",
                    disk.iv_name,
                    lu.cfg.get_node_name(node),
                    res.fail_msg,
                )
        _remove_storage_dirs(lu, disks)
        raise


def _remove_storage_dirs(lu: Any, disks: list) -> bool:
    ok = True
    for node, directory in _storage_dirs(disks):
        if node is None:
            continue
        res = lu.rpc.call_file_storage_dir_remove(node, directory)
        if res.fail_msg:
            lu.log_warning(
                "Could not remove directory '%s' on node %s: %s",
                directory,
                lu.cfg.get_node_name(node),
                res.fail_msg,
            )
            ok = False
    return ok


def remove_disks(
    lu: Any, inst: objects.Instance, disks: list | None = None, remove_dirs: bool = True
) -> bool:
    """Removes the instance's disks from their nodes; False if some failed."""
    if disks is None:
        disks = lu.cfg.get_instance_disks(inst.uuid)
    ok = True
    for disk in disks:
        for node in disk.all_nodes:
            res = lu.rpc.call_blockdev_remove(node, (disk, inst))
            if res.fail_msg and not res.offline:
                lu.log_warning(
                    "Could not remove disk %s on node %s, continuing anyway: %s",
                    disk.iv_name,
                    lu.cfg.get_node_name(node),
                    res.fail_msg,
                )
                ok = False
    if remove_dirs and not _remove_storage_dirs(lu, disks):
        ok = False
    return ok


def assemble_disks(
    lu: Any,
    inst: objects.Instance,
    disks: list | None = None,
    ignore_secondaries: bool = False,
    ignore_size: bool = False,
) -> tuple[bool, list[tuple[str, str, Any]]]:
    """Activates the disks (secondaries first, then the primary).

    Returns (all fine, [(node name, iv_name, device path), ...] of the
    primary); the instance is marked as having active disks first, so a
    failure is cleaned up by deactivating.
    """
    cfg = lu.cfg
    if disks is None:
        disks = cfg.get_instance_disks(inst.uuid)
    if not disks:
        return True, []
    cfg.mark_instance_disks_active(inst.uuid)
    ok = True
    info = []
    for idx, disk in enumerate(disks):
        for node in disk.all_nodes:
            if node == inst.primary_node:
                continue
            res = lu.rpc.call_blockdev_assemble(node, (disk, inst), inst, False, idx)
            if res.fail_msg and not ignore_secondaries:
                lu.log_warning(
                    "Could not prepare block device %s on node %s (is_primary=False, pass=1): %s",
                    disk.iv_name,
                    cfg.get_node_name(node),
                    res.fail_msg,
                )
                ok = False
    for idx, disk in enumerate(disks):
        node = inst.primary_node
        res = lu.rpc.call_blockdev_assemble(node, (disk, inst), inst, True, idx)
        path = None
        if res.fail_msg:
            lu.log_warning(
                "Could not prepare block device %s on node %s (is_primary=True, pass=2): %s",
                disk.iv_name,
                cfg.get_node_name(node),
                res.fail_msg,
            )
            ok = False
        else:
            path = (res.payload or [None])[0]
        info.append((cfg.get_node_name(node), disk.iv_name, path))
    return ok, info


def shutdown_disks(
    lu: Any, inst: objects.Instance, disks: list | None = None, ignore_primary: bool = False
) -> bool:
    """Deactivates the disks on all their nodes; marks them inactive."""
    cfg = lu.cfg
    if disks is None:
        disks = cfg.get_instance_disks(inst.uuid)
    all_disks = disks is None or len(disks) == len(inst.disks)
    ok = True
    for disk in disks:
        for node in disk.all_nodes:
            res = lu.rpc.call_blockdev_shutdown(node, (disk, inst))
            if res.fail_msg and not res.offline:
                lu.log_warning(
                    "Could not shutdown block device %s on node %s: %s",
                    disk.iv_name,
                    cfg.get_node_name(node),
                    res.fail_msg,
                )
                if node != inst.primary_node or not ignore_primary:
                    ok = False
    if all_disks and inst.disks:
        cfg.mark_instance_disks_inactive(inst.uuid)
    return ok


def start_disks(lu: Any, inst: objects.Instance, force: bool | None) -> None:
    """Activates the disks for a start; on failure deactivates and raises."""
    ok, _ = assemble_disks(lu, inst, ignore_secondaries=bool(force))
    if not ok:
        shutdown_disks(lu, inst)
        if force is not None and not force:
            lu.log_warning(
                "",
                hint="If the message above refers to a secondary node, you can retry"
                " the operation using '--force'",
            )
        raise errors.OpExecError("Disk consistency error")
