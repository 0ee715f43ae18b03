"""Cluster verify: the OS definitions of the vm_capable nodes (NV_OSLIST).

Owns judging each node's list of OS definitions (rows of ``os_diagnose``:
name, path, status, diagnose message, variants, parameters, API versions,
trusted): invalid definitions, definitions shadowed by another of the same
name, and differences from the reference node (the first node in the
verify order that reported a valid list), as Ganeti's ENODEOS errors.  It
must never ask a node anything itself: the group verify LU hands it the
node's answer.
"""

from typing import Any, Callable

from ganeti import constants

#: what a verify LU's ``_error_if`` looks like
ReportFn = Callable[..., bool]

_ECODE = "ENODEOS"


def _parse_oslist(value: Any) -> dict[str, list[tuple]] | None:
    """{name: [(path, status, diagnose, variants, parameters, api versions)]}
    in search path order, or None if ``value`` is not a valid answer."""
    if not isinstance(value, list):
        return None
    oses: dict[str, list[tuple]] = {}
    for row in value:
        if not isinstance(row, (list, tuple)) or len(row) < 7:
            return None
        name, path, status, diagnose, variants, params, api_versions = row[:7]
        oses.setdefault(name, []).append(
            (
                path,
                bool(status),
                diagnose,
                sorted(variants or []),
                sorted(tuple(p) for p in params or []),
                sorted(api_versions or []),
            )
        )
    return oses


class NodeOsCheck:
    """Checks each node's OS list; the first valid one is the reference."""

    def __init__(self, error_if: ReportFn) -> None:
        self._error_if = error_if
        self.reference: tuple[str, dict[str, list[tuple]]] | None = None

    def verify(self, node_name: str, nresult: dict) -> None:
        oses = _parse_oslist(nresult.get(constants.NV_OSLIST))
        if self._error_if(oses is None, _ECODE, node_name, "node hasn't returned valid OS data"):
            return
        for name, entries in sorted(oses.items()):
            path, status, diagnose = entries[0][:3]
            self._error_if(
                not status,
                _ECODE,
                node_name,
                "Invalid OS %s (located at %s): %s",
                name,
                path,
                diagnose,
            )
            self._error_if(
                len(entries) > 1,
                _ECODE,
                node_name,
                "OS '%s' has multiple entries (first one shadows the rest): %s",
                name,
                ", ".join(e[0] for e in entries),
            )
        if self.reference is None:
            self.reference = (node_name, oses)
            return
        self._compare(node_name, oses)

    def _compare(self, node_name: str, oses: dict[str, list[tuple]]) -> None:
        ref_name, ref = self.reference
        for name, entries in sorted(oses.items()):
            if self._error_if(
                name not in ref,
                _ECODE,
                node_name,
                "Extra OS %s not present on reference node (%s)",
                name,
                ref_name,
            ):
                continue
            mine, theirs = entries[0], ref[name][0]
            if not (mine[1] and theirs[1]):
                # an invalid definition is reported once, above
                continue
            for kind, idx in (("API version", 5), ("variants list", 3), ("parameters", 4)):
                self._error_if(
                    mine[idx] != theirs[idx],
                    _ECODE,
                    node_name,
                    "OS %s for %s differs from reference node %s: [%s] vs. [%s]",
                    kind,
                    name,
                    ref_name,
                    ", ".join(map(str, mine[idx])),
                    ", ".join(map(str, theirs[idx])),
                )
        missing = sorted(set(ref) - set(oses))
        self._error_if(
            missing,
            _ECODE,
            node_name,
            "OSes present on reference node %s but missing on this node: %s",
            ref_name,
            ", ".join(missing),
        )
