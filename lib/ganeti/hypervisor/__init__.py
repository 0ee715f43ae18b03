"""Hypervisor abstraction: the registry of hypervisor classes by name.

Owns the mapping from a hypervisor name (constants.HT_*) to its class and
hands out instances.  It must never hold hypervisor-specific logic: that
lives in ``hv_<name>.py`` modules, imported lazily so that a node daemon
only pays for the hypervisors it uses.
"""

import importlib

from ganeti import constants, errors

_MODULES = {
    constants.HT_FAKE: ("ganeti.hypervisor.hv_fake", "FakeHypervisor"),
}

_CACHE: dict[str, object] = {}


def available() -> list[str]:
    """Names of the hypervisors this build implements."""
    return sorted(_MODULES)


def get_hypervisor_class(name: str) -> type:
    """The class implementing hypervisor ``name``; HypervisorError if unknown."""
    try:
        module_name, class_name = _MODULES[name]
    except KeyError:
        raise errors.HypervisorError("Unknown hypervisor type '%s'" % name) from None
    return getattr(importlib.import_module(module_name), class_name)


def get_hypervisor(name: str):
    """A (shared) instance of hypervisor ``name``."""
    hv = _CACHE.get(name)
    if hv is None:
        hv = get_hypervisor_class(name)()
        _CACHE[name] = hv
    return hv


_MODULES.setdefault(constants.HT_CHROOT, ("ganeti.hypervisor.hv_chroot", "ChrootManager"))
_MODULES.setdefault(constants.HT_KVM, ("ganeti.hypervisor.hv_kvm", "KVMHypervisor"))
