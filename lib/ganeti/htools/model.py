"""The htools cluster model: nodes, instances, groups and instance policies.

This module owns the resource bookkeeping of one simulated cluster state:
what a node has free after instances are added or removed, and which soft
and hard limits an addition breaks.  Nodes are mutable records, but every
operation that can fail returns a *new* node (the caller keeps the old one),
so the balancing search can try a move without undoing it.

It must never read files or print: loaders build the model, programs show it.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Optional

# failure modes, in the order Ganeti reports them
FAIL_MEM = "FailMem"
FAIL_DISK = "FailDisk"
FAIL_CPU = "FailCPU"
FAIL_N1 = "FailN1"
FAIL_TAGS = "FailTags"
FAIL_MIG = "FailMig"
FAIL_DISK_COUNT = "FailDiskCount"
FAIL_SPINDLES = "FailSpindles"
FAIL_INTERNAL = "FailInternal"
FAIL_MODES = (
    FAIL_MEM,
    FAIL_DISK,
    FAIL_CPU,
    FAIL_N1,
    FAIL_TAGS,
    FAIL_MIG,
    FAIL_DISK_COUNT,
    FAIL_SPINDLES,
    FAIL_INTERNAL,
)

# disk templates
DT_DISKLESS = "diskless"
DT_FILE = "file"
DT_SHAREDFILE = "sharedfile"
DT_PLAIN = "plain"
DT_BLOCK = "blockdev"
DT_DRBD = "drbd"
DT_RBD = "rbd"
DT_EXT = "ext"
DT_GLUSTER = "gluster"
DISK_TEMPLATES = (
    DT_DISKLESS,
    DT_FILE,
    DT_SHAREDFILE,
    DT_PLAIN,
    DT_BLOCK,
    DT_DRBD,
    DT_RBD,
    DT_EXT,
    DT_GLUSTER,
)
LOCAL_STORAGE = frozenset((DT_PLAIN, DT_DRBD))
MIRROR_NONE = 0
MIRROR_INTERNAL = 1
MIRROR_EXTERNAL = 2
_MIRROR = {
    DT_DRBD: MIRROR_INTERNAL,
    DT_SHAREDFILE: MIRROR_EXTERNAL,
    DT_BLOCK: MIRROR_EXTERNAL,
    DT_RBD: MIRROR_EXTERNAL,
    DT_EXT: MIRROR_EXTERNAL,
    DT_GLUSTER: MIRROR_EXTERNAL,
}

RUN_STATES = (
    "running",
    "ERROR_up",
    "ADMIN_down",
    "ADMIN_offline",
    "ERROR_down",
    "ERROR_nodedown",
    "ERROR_nodeoffline",
    "ERROR_wrongnode",
    "USER_down",
)
# the states Ganeti calls running (migrations, not failovers, move them)
_RUNNING = frozenset(("running", "ERROR_up"))
# the states whose memory the model counts as used on the primary node:
# the running ones and those whose node could not be asked (the reference
# assumes the instance still runs there)
_USES_MEM = frozenset(
    ("running", "ERROR_up", "ERROR_nodedown", "ERROR_nodeoffline", "ERROR_wrongnode")
)

NO_SECONDARY = -1


@dataclass
class ISpec:
    """One instance specification (memory, cpus, disk, counts)."""

    memory_size: int
    cpu_count: int
    disk_size: int
    disk_count: int
    nic_count: int
    spindle_use: int

    def to_text(self) -> str:
        return "%d,%d,%d,%d,%d,%d" % (
            self.memory_size,
            self.cpu_count,
            self.disk_size,
            self.disk_count,
            self.nic_count,
            self.spindle_use,
        )


@dataclass
class IPolicy:
    """An instance policy: bounds, standard spec, templates and ratios."""

    minmax: list  # of (ISpec min, ISpec max)
    std: ISpec
    disk_templates: list
    vcpu_ratio: float
    spindle_ratio: float


def default_ipolicy() -> IPolicy:
    """The policy used when the input has none."""
    return IPolicy(
        minmax=[(ISpec(128, 1, 1024, 1, 1, 1), ISpec(32768, 8, 1024 * 1024, 16, 8, 12))],
        std=ISpec(128, 1, 1024, 1, 1, 1),
        disk_templates=list(DISK_TEMPLATES),
        vcpu_ratio=4.0,
        spindle_ratio=32.0,
    )


@dataclass
class Group:
    """A node group."""

    name: str
    uuid: str
    alloc_policy: str
    tags: list = field(default_factory=list)
    networks: list = field(default_factory=list)
    ipolicy: IPolicy = field(default_factory=default_ipolicy)
    idx: int = -1

    def is_allocable(self) -> bool:
        return self.alloc_policy != "unallocable"


ALLOC_POLICY_ORDER = {"preferred": 0, "last_resort": 1, "unallocable": 2}


class Instance:
    """An instance as htools sees it (sizes, placement, tags)."""

    def __init__(
        self,
        name: str,
        mem: int,
        dsk: int,
        vcpus: int,
        run_st: str,
        tags: list,
        auto_balance: bool,
        pnode: int,
        snode: int,
        disk_template: str,
        spindle_use: int = 1,
        forthcoming: bool = False,
    ) -> None:
        self.name = name
        self.alias = name
        self.mem = mem
        self.dsk = dsk
        self.disks = [dsk]
        self.vcpus = vcpus
        self.run_st = run_st
        self.tags = tags
        self.auto_balance = auto_balance
        self.pnode = pnode
        self.snode = snode
        self.disk_template = disk_template
        self.spindle_use = spindle_use
        self.total_spindles: Optional[int] = None
        self.forthcoming = forthcoming
        self.idx = -1
        self.movable = True
        self.excl_tags: list = []
        self.location_score = 0
        self.dsrd_loc_tags: frozenset = frozenset()
        self.util = (1.0, 1.0, 1.0, 1.0)
        self.nics: list = []
        self.arrival = 0.0

    def copy(self) -> "Instance":
        new = _new_node(Instance)
        new.__dict__ = self.__dict__.copy()
        return new

    # derived properties -------------------------------------------------
    def is_running(self) -> bool:
        return self.run_st in _RUNNING

    def uses_memory(self) -> bool:
        return self.run_st in _USES_MEM

    def not_offline(self) -> bool:
        return self.run_st != "ADMIN_offline"

    def uses_sec_mem(self) -> bool:
        return self.not_offline() and self.auto_balance

    def uses_local_storage(self) -> bool:
        return self.disk_template in LOCAL_STORAGE

    def has_secondary(self) -> bool:
        return self.disk_template == DT_DRBD

    def mirror_type(self) -> int:
        return _MIRROR.get(self.disk_template, MIRROR_NONE)

    def all_nodes(self) -> list:
        if self.disk_template == DT_DRBD:
            return [self.pnode, self.snode]
        return [self.pnode]

    def required_nodes(self) -> int:
        return 2 if self.disk_template == DT_DRBD else 1


def inst_matches_policy(inst: Instance, pol: IPolicy, excl_stor: bool) -> Optional[str]:
    """Returns None when ``inst`` fits ``pol``, otherwise the failure mode."""
    best = None
    for mn, mx in pol.minmax:
        res = _inst_in_bounds(inst, mn, mx, excl_stor)
        if res is None:
            best = None
            break
        if best is None:
            best = res
    else:
        if best is not None:
            return best
    if inst.disk_template not in pol.disk_templates:
        return FAIL_DISK
    return None


def _inst_in_bounds(inst: Instance, mn: ISpec, mx: ISpec, excl_stor: bool) -> Optional[str]:
    if inst.mem < mn.memory_size:
        return FAIL_MEM
    for d in inst.disks:
        if d < mn.disk_size:
            return FAIL_DISK
    if inst.vcpus < mn.cpu_count:
        return FAIL_CPU
    if not excl_stor and inst.spindle_use < mn.spindle_use:
        return FAIL_SPINDLES
    if len(inst.disks) < mn.disk_count:
        return FAIL_DISK
    if inst.mem > mx.memory_size:
        return FAIL_MEM
    for d in inst.disks:
        if d > mx.disk_size:
            return FAIL_DISK
    if inst.vcpus > mx.cpu_count:
        return FAIL_CPU
    if not excl_stor and inst.spindle_use > mx.spindle_use:
        return FAIL_SPINDLES
    if len(inst.disks) > mx.disk_count:
        return FAIL_DISK
    return None


def _add_tags(tmap: dict, tags) -> dict:
    new = dict(tmap)
    for t in tags:
        new[t] = new.get(t, 0) + 1
    return new


def _del_tags(tmap: dict, tags) -> dict:
    new = dict(tmap)
    for t in tags:
        v = new.get(t)
        if v is None:
            continue
        if v > 1:
            new[t] = v - 1
        else:
            del new[t]
    return new


class Node:
    """A node with its free resources and the instances placed on it."""

    def __init__(
        self,
        name: str,
        t_mem: float,
        n_mem: int,
        f_mem: int,
        t_dsk: float,
        f_dsk: int,
        t_cpu: float,
        n_cpu: int,
        offline: bool,
        t_spindles: int,
        f_spindles: int,
        group: int,
        excl_storage: bool,
    ) -> None:
        self.name = name
        self.alias = name
        self.t_mem = float(t_mem)
        self.n_mem = n_mem
        self.i_mem = 0
        self.f_mem = f_mem
        self.f_mem_forth = f_mem
        self.x_mem = 0
        self.t_dsk = float(t_dsk)
        self.f_dsk = f_dsk
        self.f_dsk_forth = f_dsk
        self.t_cpu = float(t_cpu)
        self.cpu_speed = 1.0
        self.n_cpu = n_cpu
        self.u_cpu = n_cpu
        self.u_cpu_forth = n_cpu
        self.t_spindles = t_spindles
        self.f_spindles = f_spindles
        self.f_spindles_forth = f_spindles
        self.plist: list = []
        self.slist: list = []
        self.plist_forth: list = []
        self.slist_forth: list = []
        self.idx = -1
        self.peers: dict = {}
        self.fail_n1 = True
        self.r_mem = 0
        self.p_mem = 0.0
        self.p_mem_forth = _div(f_mem, self.t_mem)
        pd = _pdsk(f_spindles, float(t_spindles)) if excl_storage else _pdsk(f_dsk, self.t_dsk)
        self.p_dsk = pd
        self.p_dsk_forth = pd
        self.p_rem = 0.0
        self.p_cpu = _div(n_cpu, self.t_cpu)
        self.p_cpu_forth = self.p_cpu
        self.m_dsk = 0.0
        self.lo_dsk = 0
        pol = default_ipolicy()
        self.hi_cpu = int(pol.vcpu_ratio * self.t_cpu)
        self.hi_spindles = pol.spindle_ratio * t_spindles
        self.inst_spindles = 0.0
        self.inst_spindles_forth = 0.0
        self.offline = offline
        self.is_master = False
        self.tags: list = []
        self.util_pool = (1.0, 1.0, 1.0, 1.0)
        self.util_load = (0.0, 0.0, 0.0, 0.0)
        self.util_load_forth = (0.0, 0.0, 0.0, 0.0)
        self.p_tags: dict = {}
        self.group = group
        self.ipolicy = pol
        self.excl_storage = excl_storage
        self.mig_tags: frozenset = frozenset()
        self.rmig_tags: frozenset = frozenset()
        self.location_tags: frozenset = frozenset()
        self.location_score_v = 0
        self.instance_map: dict = {}
        self.drained = False

    def copy(self) -> "Node":
        new = _new_node(Node)
        new.__dict__ = self.__dict__.copy()
        return new

    # policy setters --------------------------------------------------------
    def set_policy(self, pol: IPolicy) -> None:
        self.ipolicy = pol
        self.hi_cpu = int(pol.vcpu_ratio * self.t_cpu)
        self.hi_spindles = pol.spindle_ratio * self.t_spindles

    def set_mdsk(self, val: float) -> None:
        self.m_dsk = val
        self.lo_dsk = int(val * self.t_dsk)

    def set_mcpu(self, val: float) -> None:
        self.ipolicy = IPolicy(
            self.ipolicy.minmax,
            self.ipolicy.std,
            self.ipolicy.disk_templates,
            val,
            self.ipolicy.spindle_ratio,
        )
        self.hi_cpu = int(val * self.t_cpu)

    # derived values --------------------------------------------------------
    def p_cpu_eff(self) -> float:
        return self.p_cpu / self.cpu_speed

    def p_cpu_eff_forth(self) -> float:
        return self.p_cpu_forth / self.cpu_speed

    def conflicting_primaries(self) -> int:
        t = self.p_tags
        return sum(t.values()) - len(t)

    def recorded_free_mem(self) -> int:
        return int(self.t_mem) - self.n_mem - self.i_mem

    def unallocated_mem(self) -> int:
        return self.recorded_free_mem() - max(0, self.x_mem)

    def missing_mem(self) -> int:
        return self.recorded_free_mem() - self.f_mem

    def avail_mem(self) -> int:
        return max(0, self.unallocated_mem() - self.r_mem)

    def avail_disk(self) -> int:
        f = self.f_dsk
        lo = self.lo_dsk
        return 0 if f < lo else f - lo

    def avail_cpu(self) -> int:
        u = self.u_cpu
        hi = self.hi_cpu
        return hi - u if hi >= u else 0

    def i_dsk(self) -> int:
        return int(self.t_dsk) - self.f_dsk

    def _new_pdsk(self, free_sp: int, free_dsk: int) -> float:
        if self.excl_storage:
            return _pdsk(free_sp, float(self.t_spindles))
        return _pdsk(free_dsk, self.t_dsk)

    # loading-time placement (no checks) -----------------------------------
    def set_pri(self, inst: Instance) -> None:
        """Places ``inst`` as primary during loading (no limits checked)."""
        if not inst.forthcoming:
            self.plist = self.plist + [inst.idx]
            if inst.not_offline():
                self.u_cpu += inst.vcpus
            self.p_cpu = _div(self.u_cpu, self.t_cpu)
            self.util_load = _add_util(self.util_load, inst.util)
            if not self.excl_storage and inst.uses_local_storage():
                self.inst_spindles += inst.spindle_use
            self.location_score_v += inst.location_score + self._dsrd_loc_score(inst)
            self.instance_map = _add_tags(self.instance_map, self._loc_excl_pairs(inst))
        self.p_tags = _add_tags(self.p_tags, inst.excl_tags)
        self.plist_forth = self.plist_forth + [inst.idx]
        if inst.not_offline():
            self.u_cpu_forth += inst.vcpus
        self.p_cpu_forth = _div(self.u_cpu_forth, self.t_cpu)
        self.util_load_forth = _add_util(self.util_load_forth, inst.util)
        if not inst.uses_memory():
            self.f_mem_forth -= inst.mem
        self.p_mem_forth = _div(self.f_mem_forth, self.t_mem)
        if not self.excl_storage and inst.uses_local_storage():
            self.inst_spindles_forth += inst.spindle_use
        if inst.forthcoming:
            self._forth_only_disk(inst)

    def set_sec(self, inst: Instance) -> None:
        """Places ``inst`` as secondary during loading (no limits checked)."""
        d = inst.util[2]
        if not inst.forthcoming:
            self.slist = self.slist + [inst.idx]
            u = self.util_load
            self.util_load = (u[0], u[1], u[2] + d, u[3])
            if not self.excl_storage and inst.uses_local_storage():
                self.inst_spindles += inst.spindle_use
        self.slist_forth = self.slist_forth + [inst.idx]
        u = self.util_load_forth
        self.util_load_forth = (u[0], u[1], u[2] + d, u[3])
        if not self.excl_storage and inst.uses_local_storage():
            self.inst_spindles_forth += inst.spindle_use
        if inst.forthcoming:
            self._forth_only_disk(inst)

    def _forth_only_disk(self, inst: Instance) -> None:
        if inst.uses_local_storage():
            self.f_dsk_forth -= inst.dsk
        sp = self._new_free_sp(True, inst, self.f_spindles_forth)
        self.f_spindles_forth = sp
        self.p_dsk_forth = self._new_pdsk(sp, self.f_dsk_forth)

    def build_peers(self, instances: list) -> None:
        """Computes the N+1 memory reservation from the secondaries."""
        peers: dict = {}
        for i in self.slist:
            inst = instances[i]
            mem = inst.mem if (inst.uses_sec_mem() and not inst.forthcoming) else 0
            peers[inst.pnode] = peers.get(inst.pnode, 0) + mem
        self.peers = peers
        self.r_mem = max(peers.values()) if peers else 0
        self.fail_n1 = self.f_mem < self.r_mem
        self.p_rem = _div(self.r_mem, self.t_mem)

    def _dsrd_loc_score(self, inst: Instance) -> int:
        tags = inst.dsrd_loc_tags
        if not tags:
            return 0
        return len(tags) - len(tags & self.location_tags)

    def _loc_excl_pairs(self, inst: Instance) -> list:
        if not self.location_tags or not inst.excl_tags:
            return []
        return [(loc, ex) for loc in sorted(self.location_tags) for ex in inst.excl_tags]

    def _new_free_sp(self, adding: bool, inst: Instance, cur: int) -> int:
        if not self.excl_storage:
            return 0
        if inst.total_spindles is None:
            return -1 if adding else cur
        return cur - inst.total_spindles if adding else cur + inst.total_spindles

    # simulation operations -------------------------------------------------
    def remove_pri(self, inst: Instance) -> "Node":
        """Returns a copy of this node without primary instance ``inst``."""
        n = self.copy()
        uses_disk = inst.uses_local_storage()
        online = inst.not_offline()
        loc_disk = uses_disk and not self.excl_storage
        if not inst.forthcoming:
            n.plist = _delete(self.plist, inst.idx)
            if inst.uses_memory():
                n.i_mem = self.i_mem - inst.mem
            free_mem = n.unallocated_mem()
            n.p_mem = _sdiv(free_mem, self.t_mem)
            n.fail_n1 = free_mem <= self.r_mem
            if uses_disk:
                n.f_dsk = self.f_dsk + inst.dsk
            n.f_spindles = self._new_free_sp(False, inst, self.f_spindles)
            if loc_disk:
                n.inst_spindles = self.inst_spindles - inst.spindle_use
            n.p_dsk = n._new_pdsk(n.f_spindles, n.f_dsk)
            if online:
                n.u_cpu = self.u_cpu - inst.vcpus
            n.p_cpu = _sdiv(n.u_cpu, self.t_cpu)
            n.util_load = _sub_util(self.util_load, inst.util)
            n.location_score_v = (
                self.location_score_v - inst.location_score - self._dsrd_loc_score(inst)
            )
            pairs = self._loc_excl_pairs(inst)
            if pairs:
                n.instance_map = _del_tags(self.instance_map, pairs)
        # forthcoming-inclusive fields
        n.p_tags = _del_tags(self.p_tags, inst.excl_tags) if inst.excl_tags else self.p_tags
        n.plist_forth = _delete(self.plist_forth, inst.idx)
        n.f_mem_forth = self.f_mem_forth + inst.mem
        if uses_disk:
            n.f_dsk_forth = self.f_dsk_forth + inst.dsk
        n.f_spindles_forth = self._new_free_sp(False, inst, self.f_spindles_forth)
        if loc_disk:
            n.inst_spindles_forth = self.inst_spindles_forth - inst.spindle_use
        n.p_mem_forth = _sdiv(n.f_mem_forth, self.t_mem)
        n.p_dsk_forth = n._new_pdsk(n.f_spindles_forth, n.f_dsk_forth)
        if online:
            n.u_cpu_forth = self.u_cpu_forth - inst.vcpus
        n.p_cpu_forth = _sdiv(n.u_cpu_forth, self.t_cpu)
        n.util_load_forth = _sub_util(self.util_load_forth, inst.util)
        return n

    def remove_sec(self, inst: Instance) -> "Node":
        """Returns a copy of this node without secondary instance ``inst``."""
        n = self.copy()
        uses_disk = inst.uses_local_storage()
        loc_disk = uses_disk and not self.excl_storage
        d = inst.util[2]
        if not inst.forthcoming:
            n.slist = _delete(self.slist, inst.idx)
            if uses_disk:
                n.f_dsk = self.f_dsk + inst.dsk
            n.f_spindles = self._new_free_sp(False, inst, self.f_spindles)
            if loc_disk:
                n.inst_spindles = self.inst_spindles - inst.spindle_use
            pnode = inst.pnode
            old_peem = self.peers.get(pnode, 0)
            new_peem = old_peem - inst.mem if inst.uses_sec_mem() else old_peem
            peers = dict(self.peers)
            if new_peem > 0:
                peers[pnode] = new_peem
            else:
                peers.pop(pnode, None)
            n.peers = peers
            if old_peem < self.r_mem:
                new_rmem = self.r_mem
            else:
                new_rmem = max(peers.values()) if peers else 0
            n.r_mem = new_rmem
            n.p_rem = _sdiv(new_rmem, self.t_mem)
            n.fail_n1 = self.unallocated_mem() <= new_rmem
            n.p_dsk = n._new_pdsk(n.f_spindles, n.f_dsk)
            u = self.util_load
            n.util_load = (u[0], u[1], u[2] - d, u[3])
        n.slist_forth = _delete(self.slist_forth, inst.idx)
        if uses_disk:
            n.f_dsk_forth = self.f_dsk_forth + inst.dsk
        n.f_spindles_forth = self._new_free_sp(False, inst, self.f_spindles_forth)
        if loc_disk:
            n.inst_spindles_forth = self.inst_spindles_forth - inst.spindle_use
        n.p_dsk_forth = n._new_pdsk(n.f_spindles_forth, n.f_dsk_forth)
        u = self.util_load_forth
        n.util_load_forth = (u[0], u[1], u[2] - d, u[3])
        return n

    def add_pri(self, inst: Instance, force: bool = False):
        """Adds primary ``inst``; returns the new node or a failure mode."""
        # (the helpers of the other operations are inlined: this runs for
        # every candidate node of every allocation)
        strict = not force
        uses_disk = inst.disk_template in LOCAL_STORAGE
        online = inst.run_st != "ADMIN_offline"
        excl = self.excl_storage
        l_cpu = self.ipolicy.vcpu_ratio
        loc_disk = uses_disk and not excl
        su = inst.spindle_use
        new_mem_forth = self.f_mem_forth - inst.mem
        new_dsk_forth = self.f_dsk_forth - inst.dsk if uses_disk else self.f_dsk_forth
        new_sp_forth = self._new_free_sp(True, inst, self.f_spindles_forth) if excl else 0
        new_isp_forth = self.inst_spindles_forth + su if loc_disk else self.inst_spindles_forth
        new_ucpu_forth = self.u_cpu_forth + inst.vcpus if online else self.u_cpu_forth
        new_pcpu_forth = _sdiv(new_ucpu_forth, self.t_cpu)
        forthcoming = inst.forthcoming
        if not forthcoming:
            new_i_mem = self.i_mem + inst.mem if inst.run_st in _USES_MEM else self.i_mem
            new_free_mem = int(self.t_mem) - self.n_mem - new_i_mem - max(0, self.x_mem)
            new_failn1 = new_free_mem <= self.r_mem
            new_dsk = self.f_dsk - inst.dsk if uses_disk else self.f_dsk
            new_sp = self._new_free_sp(True, inst, self.f_spindles) if excl else 0
            new_isp = self.inst_spindles + su if loc_disk else self.inst_spindles
            new_ucpu = self.u_cpu + inst.vcpus if online else self.u_cpu
            new_pcpu = _sdiv(new_ucpu, self.t_cpu)
            if new_free_mem <= 0:
                return FAIL_MEM
            if uses_disk and new_dsk <= 0:
                return FAIL_DISK
            if strict and uses_disk and new_dsk < self.lo_dsk:
                return FAIL_DISK
            if uses_disk and excl and new_sp < 0:
                return FAIL_SPINDLES
            if strict and uses_disk and new_isp > self.hi_spindles:
                return FAIL_DISK
            if strict and new_failn1 and not self.fail_n1:
                return FAIL_MEM
            if strict and 0 <= l_cpu < new_pcpu:
                return FAIL_CPU
            if strict and inst.excl_tags and any(t in self.p_tags for t in inst.excl_tags):
                return FAIL_TAGS
        if strict:
            # the forthcoming-inclusive limits
            if new_mem_forth <= 0:
                return FAIL_MEM
            if uses_disk:
                if new_dsk_forth <= 0 or new_dsk_forth < self.lo_dsk:
                    return FAIL_DISK
                if excl and new_sp_forth < 0:
                    return FAIL_SPINDLES
                if new_isp_forth > self.hi_spindles:
                    return FAIL_DISK
            if 0 <= l_cpu < new_pcpu_forth:
                return FAIL_CPU
        n = _new_node(Node)
        n.__dict__ = d = self.__dict__.copy()
        util = inst.util
        if not forthcoming:
            d["plist"] = self.plist + [inst.idx]
            d["i_mem"] = new_i_mem
            d["f_dsk"] = new_dsk
            d["fail_n1"] = new_failn1
            d["p_mem"] = _sdiv(new_free_mem, self.t_mem)
            d["p_dsk"] = (
                _pdsk(new_sp, float(self.t_spindles)) if excl else _pdsk(new_dsk, self.t_dsk)
            )
            d["u_cpu"] = new_ucpu
            d["p_cpu"] = new_pcpu
            u = self.util_load
            d["util_load"] = (u[0] + util[0], u[1] + util[1], u[2] + util[2], u[3] + util[3])
            d["inst_spindles"] = new_isp
            d["f_spindles"] = new_sp
            d["location_score_v"] = (
                self.location_score_v
                + inst.location_score
                + (self._dsrd_loc_score(inst) if inst.dsrd_loc_tags else 0)
            )
            if self.location_tags and inst.excl_tags:
                d["instance_map"] = _add_tags(self.instance_map, self._loc_excl_pairs(inst))
        if inst.excl_tags:
            d["p_tags"] = _add_tags(self.p_tags, inst.excl_tags)
        d["plist_forth"] = self.plist_forth + [inst.idx]
        d["f_mem_forth"] = new_mem_forth
        d["f_dsk_forth"] = new_dsk_forth
        d["p_mem_forth"] = _sdiv(new_mem_forth, self.t_mem)
        d["p_dsk_forth"] = (
            _pdsk(new_sp_forth, float(self.t_spindles))
            if excl
            else _pdsk(new_dsk_forth, self.t_dsk)
        )
        d["u_cpu_forth"] = new_ucpu_forth
        d["p_cpu_forth"] = new_pcpu_forth
        u = self.util_load_forth
        d["util_load_forth"] = (u[0] + util[0], u[1] + util[1], u[2] + util[2], u[3] + util[3])
        d["inst_spindles_forth"] = new_isp_forth
        d["f_spindles_forth"] = new_sp_forth
        return n

    def add_sec(self, inst: Instance, pdx: int, force: bool = False, ignore_disks: bool = False):
        """Adds secondary ``inst`` (primary on ``pdx``)."""
        strict = not force
        sec_mem = inst.mem if inst.uses_sec_mem() else 0
        new_peem = self.peers.get(pdx, 0) + sec_mem
        loc_disk = inst.uses_local_storage() and not self.excl_storage
        new_dsk_forth = self.f_dsk_forth - inst.dsk
        new_sp_forth = self._new_free_sp(True, inst, self.f_spindles_forth)
        new_isp_forth = (
            self.inst_spindles_forth + inst.spindle_use if loc_disk else self.inst_spindles_forth
        )

        def forth_violation():
            if not inst.has_secondary():
                return FAIL_DISK
            if new_dsk_forth <= 0 or new_dsk_forth < self.lo_dsk:
                return FAIL_DISK
            if self.excl_storage and new_sp_forth < 0:
                return FAIL_SPINDLES
            if new_isp_forth > self.hi_spindles:
                return FAIL_DISK
            if sec_mem >= self.f_mem_forth:
                return FAIL_MEM
            return None

        if inst.forthcoming:
            if strict:
                err = forth_violation()
                if err is not None:
                    return err
            n = self.copy()
        else:
            old_mem = self.unallocated_mem()
            new_dsk = self.f_dsk - inst.dsk
            new_sp = self._new_free_sp(True, inst, self.f_spindles)
            new_isp = self.inst_spindles + inst.spindle_use if loc_disk else self.inst_spindles
            new_rmem = max(self.r_mem, new_peem)
            new_failn1 = old_mem <= new_rmem
            if not inst.has_secondary():
                return FAIL_DISK
            if not ignore_disks and new_dsk <= 0:
                return FAIL_DISK
            if strict and new_dsk < self.lo_dsk:
                return FAIL_DISK
            if self.excl_storage and new_sp < 0:
                return FAIL_SPINDLES
            if strict and new_isp > self.hi_spindles:
                return FAIL_DISK
            if strict and sec_mem >= old_mem:
                return FAIL_MEM
            if strict and new_failn1 and not self.fail_n1:
                return FAIL_MEM
            if strict:
                err = forth_violation()
                if err is not None:
                    return err
            n = self.copy()
            n.slist = self.slist + [inst.idx]
            n.f_dsk = new_dsk
            peers = dict(self.peers)
            peers[pdx] = new_peem
            n.peers = peers
            n.fail_n1 = new_failn1
            n.r_mem = new_rmem
            n.p_dsk = self._new_pdsk(new_sp, new_dsk)
            n.p_rem = _sdiv(new_rmem, self.t_mem)
            u = self.util_load
            n.util_load = (u[0], u[1], u[2] + inst.util[2], u[3])
            n.inst_spindles = new_isp
            n.f_spindles = new_sp
        n.slist_forth = self.slist_forth + [inst.idx]
        n.f_dsk_forth = new_dsk_forth
        n.p_dsk_forth = self._new_pdsk(new_sp_forth, new_dsk_forth)
        u = self.util_load_forth
        n.util_load_forth = (u[0], u[1], u[2] + inst.util[2], u[3])
        n.inst_spindles_forth = new_isp_forth
        n.f_spindles_forth = new_sp_forth
        return n


_new_node = object.__new__


def _delete(lst: list, x: int) -> list:
    """``lst`` without the first occurrence of ``x``."""
    new = list(lst)
    try:
        new.remove(x)
    except ValueError:
        pass
    return new


def check_migration(src: Node, dst: Node) -> Optional[str]:
    """A migration from ``src`` to ``dst`` is allowed by migration tags."""
    if src.mig_tags <= dst.rmig_tags:
        return None
    return FAIL_MIG


def _sdiv(a, b: float) -> float:
    """a / b with Haskell's Double semantics for a zero divisor (signed
    infinity, NaN for 0/0): offline nodes have zero totals."""
    if b:
        return a / b
    if a == 0 or a != a:
        return float("nan")
    return math.copysign(float("inf"), a)


def _div(a, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        return float("nan") if a == 0 else float("inf")


def _pdsk(free: int, total: float) -> float:
    if total == 0:
        return 1.0
    return free / total


def _add_util(a: tuple, b: tuple) -> tuple:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _sub_util(a: tuple, b: tuple) -> tuple:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3])


@dataclass
class ClusterData:
    """Everything a loader produces: groups, nodes, instances, tags."""

    groups: list  # of Group, index = group idx
    nodes: list  # of Node, index = node idx
    instances: list  # of Instance, index = instance idx
    cluster_tags: list
    ipolicy: IPolicy
    ipolicy_explicit: bool = True
    index_base: int = 0
    place_twice: bool = False

    def node_by_name(self) -> dict:
        return {n.name: n.idx for n in self.nodes}
