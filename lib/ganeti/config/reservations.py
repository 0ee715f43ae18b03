"""Temporary reservations of the ConfigWriter: UUIDs, MACs, LV names, DRBD
secrets and minors, and IP addresses of networks, held per execution
context (job) until the job adds its objects or ends.

A mixin of ConfigWriter (uses its ``_data``, ``_lock``, ``_mark`` and
``_write_config``); it must never be used on its own.
"""

import ipaddress
import os
import random
from typing import Any

from ganeti import constants, errors, objects
from ganeti.config.common import MAX_GENERATE_TRIES, Reservations, locked
from ganeti.utils import text as utils_text


class ReservationsMixin:
    """The reservation methods of ConfigWriter."""

    def _init_reservations(self) -> None:
        self._temp_ids = Reservations()
        self._temp_macs = Reservations()
        self._temp_secrets = Reservations()
        self._temp_lvs = Reservations()
        self._temp_ips: dict[Any, list[tuple[str, str, str]]] = {}
        self._temp_drbds: dict[tuple[str, int], str] = {}

    def _generate_unique_id(self, ec_id: Any) -> str:
        existing = {u for u in self._temp_ids.reserved()}
        for _ in range(MAX_GENERATE_TRIES):
            uuid = utils_text.new_uuid()
            if uuid not in existing and not self._uuid_in_use(uuid):
                self._temp_ids.reserve(ec_id, uuid)
                return uuid
        raise errors.ConfigurationError("Unable to generate a unique ID")

    @locked
    def generate_unique_id(self, ec_id: Any) -> str:
        """A new UUID, unused and reserved for ``ec_id``."""
        return self._generate_unique_id(ec_id)

    @locked
    def generate_mac(self, net_uuid: str | None, ec_id: Any) -> str:
        """A new MAC with the network's (else the cluster's) prefix, reserved."""
        prefix = self._data.cluster.mac_prefix
        if net_uuid:
            net = self._data.networks.get(net_uuid)
            if net is not None and net.mac_prefix:
                prefix = net.mac_prefix

        def gen() -> str:
            return "%s:%02x:%02x:%02x" % (
                prefix,
                random.randrange(256),
                random.randrange(256),
                random.randrange(256),
            )

        return self._temp_macs.generate(self._all_macs(), gen, ec_id)

    @locked
    def reserve_mac(self, mac: str, ec_id: Any) -> None:
        """Reserves a given MAC for ``ec_id``; ReservationError if in use."""
        if mac in self._all_macs():
            raise errors.ReservationError("MAC address %s already in use" % mac)
        self._temp_macs.reserve(ec_id, mac)

    @locked
    def reserve_lv(self, lv_name: str, ec_id: Any) -> None:
        """Reserves an LV name (vg/lv) for ``ec_id``; ReservationError if used."""
        used = set()
        for disk in self._data.disks.values():
            for d in [disk] + list(disk.children or []):
                if d.dev_type == constants.DT_PLAIN and d.logical_id:
                    used.add("%s/%s" % tuple(d.logical_id[:2]))
        if lv_name in used:
            raise errors.ReservationError("LV %s already in use" % lv_name)
        self._temp_lvs.reserve(ec_id, lv_name)

    @locked
    def generate_drbd_secret(self, ec_id: Any) -> str:
        """A new DRBD shared secret, unused and reserved for ``ec_id``."""
        used = {
            d.logical_id[5]
            for d in self._data.disks.values()
            if d.dev_type == constants.DT_DRBD8 and d.logical_id and len(d.logical_id) > 5
        }
        return self._temp_secrets.generate(used, lambda: os.urandom(20).hex(), ec_id)

    @locked
    def drop_ec_reservations(self, ec_id: Any) -> None:
        """Forgets everything reserved by execution context ``ec_id``."""
        for res in (self._temp_ids, self._temp_macs, self._temp_secrets, self._temp_lvs):
            res.drop(ec_id)
        self._temp_ips.pop(ec_id, None)

    # -- IP addresses of networks --

    @staticmethod
    def _ip_index(net: objects.Network, address: str) -> int:
        try:
            network = ipaddress.ip_network(net.network)
            addr = ipaddress.ip_address(address)
        except ValueError as err:
            raise errors.AddressPoolError("Invalid address %s: %s" % (address, err)) from None
        if addr not in network:
            raise errors.AddressPoolError(
                "%s is not in network %s (%s)" % (address, net.name, net.network)
            )
        return int(addr) - int(network.network_address)

    @staticmethod
    def _bitmap(net: objects.Network, field: str) -> list[str]:
        size = ipaddress.ip_network(net.network).num_addresses
        value = getattr(net, field) or ""
        return list(value.ljust(size, "0")[:size])

    def _is_ip_reserved(self, net: objects.Network, address: str) -> bool:
        idx = self._ip_index(net, address)
        return (
            self._bitmap(net, "reservations")[idx] == "1"
            or self._bitmap(net, "ext_reservations")[idx] == "1"
        )

    def _set_ip_reserved(self, net: objects.Network, address: str, value: bool) -> None:
        bits = self._bitmap(net, "reservations")
        bits[self._ip_index(net, address)] = "1" if value else "0"
        net.reservations = "".join(bits)
        net.serial_no = (net.serial_no or 0) + 1
        self._mark("networks", net.uuid)

    def _temp_ip_set(self) -> set[tuple[str, str]]:
        return {(n, a) for acts in self._temp_ips.values() for (act, n, a) in acts if act == "r"}

    def _get_network(self, net_uuid: str) -> objects.Network:
        net = self._data.networks.get(net_uuid)
        if net is None:
            raise errors.ConfigurationError("Unknown network '%s'" % net_uuid)
        return net

    @locked
    def reserve_ip(self, net_uuid: str, address: str, ec_id: Any, check: bool = True) -> None:
        """Reserves ``address`` in the network for ``ec_id`` (committed when
        the instance is added or updated with that ec_id)."""
        net = self._get_network(net_uuid)
        if check and (
            self._is_ip_reserved(net, address) or (net_uuid, address) in self._temp_ip_set()
        ):
            raise errors.ReservationError("IP address %s already in use" % address)
        self._ip_index(net, address)
        self._temp_ips.setdefault(ec_id, []).append(("r", net_uuid, address))

    @locked
    def release_ip(self, net_uuid: str, address: str, ec_id: Any) -> None:
        """Gives ``address`` back to the network when ``ec_id`` commits."""
        self._ip_index(self._get_network(net_uuid), address)
        self._temp_ips.setdefault(ec_id, []).append(("f", net_uuid, address))

    @locked
    def generate_ip(self, net_uuid: str, ec_id: Any) -> str:
        """A free address of the network, reserved for ``ec_id``."""
        net = self._get_network(net_uuid)
        network = ipaddress.ip_network(net.network)
        res = self._bitmap(net, "reservations")
        ext = self._bitmap(net, "ext_reservations")
        temp = {a for (n, a) in self._temp_ip_set() if n == net_uuid}
        for idx in range(len(res)):
            if res[idx] == "1" or ext[idx] == "1":
                continue
            address = str(network.network_address + idx)
            if address not in temp:
                self._temp_ips.setdefault(ec_id, []).append(("r", net_uuid, address))
                return address
        raise errors.ReservationError("Cannot generate IP: network %s is full" % net.name)

    def _commit_temporary_ips(self, ec_id: Any) -> None:
        for action, net_uuid, address in self._temp_ips.pop(ec_id, []):
            net = self._data.networks.get(net_uuid)
            if net is not None:
                self._set_ip_reserved(net, address, action == "r")

    @locked
    def commit_temporary_ips(self, ec_id: Any) -> None:
        """Applies ``ec_id``'s IP reservations and releases and saves."""
        if self._temp_ips.get(ec_id):
            self._commit_temporary_ips(ec_id)
            self._write_config()

    # -- DRBD minors --

    def _drbd_usage(self) -> dict[str, dict[int, str]]:
        used: dict[str, dict[int, str]] = {uuid: {} for uuid in self._data.nodes}
        for disk in self._data.disks.values():
            if disk.dev_type == constants.DT_DRBD8 and disk.logical_id:
                pnode, snode, _, pminor, sminor = disk.logical_id[:5]
                used.setdefault(pnode, {})[pminor] = disk.uuid
                used.setdefault(snode, {})[sminor] = disk.uuid
        return used

    @locked
    def compute_drbd_map(self) -> dict[str, dict[int, str]]:
        """node UUID -> {minor: disk UUID} for configured and reserved minors."""
        used = self._drbd_usage()
        for (node, minor), disk_uuid in self._temp_drbds.items():
            used.setdefault(node, {})[minor] = disk_uuid
        return used

    @locked
    def allocate_drbd_minor(self, node_uuids: list[str], disk_uuid: str) -> list[int]:
        """The lowest free DRBD minor on each node, reserved for ``disk_uuid``."""
        used = self.compute_drbd_map()
        result = []
        for node in node_uuids:
            minors = used.setdefault(node, {})
            minor = 0
            while minor in minors:
                minor += 1
            minors[minor] = disk_uuid
            self._temp_drbds[(node, minor)] = disk_uuid
            result.append(minor)
        return result

    def _release_drbd_minors(self, disk_uuid: str) -> None:
        for key in [k for k, v in self._temp_drbds.items() if v == disk_uuid]:
            del self._temp_drbds[key]

    def _release_drbd_minors_of_instance(self, inst: objects.Instance) -> None:
        if self._temp_drbds:
            for disk_uuid in inst.disks:
                self._release_drbd_minors(disk_uuid)

    @locked
    def release_drbd_minors(self, disk_uuid: str) -> None:
        """Drops the temporary minors of ``disk_uuid`` (e.g. after a failure)."""
        self._release_drbd_minors(disk_uuid)
