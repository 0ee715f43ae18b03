"""From-scratch cluster scores of many one-node changes at once (numpy).

Owns the batch form of ``metrics.comp_cv`` used by ``alloc._pick`` to
break near-ties between one-node allocation candidates (the reference
scores those from scratch).  The arithmetic is ``fastevac.scratch_scores``
(bit-identical to ``metrics.comp_cv``); this module only states the
candidates as node changes.

Returns None for an offline candidate (allocation targets are online);
callers then use the scalar path.  It never changes the nodes it is given.
"""

from __future__ import annotations

from typing import Optional

from ganeti.htools import fastevac, metrics


def scores(nodes: list, changes: list) -> Optional[list]:
    """From-scratch scores of ``nodes`` with each (idx, new node) applied."""
    if not changes:
        return []
    if any(nodes[idx].offline or new.offline for idx, new in changes):
        return None
    vals = [metrics.node_values(n) for n in nodes]
    offline = [n.offline for n in nodes]
    cands = [{idx: metrics.node_values(new)} for idx, new in changes]
    return fastevac.scratch_scores(vals, offline, cands)
