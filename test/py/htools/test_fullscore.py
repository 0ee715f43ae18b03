"""Batch from-scratch scores are bit-identical to metrics.comp_cv."""

import random

import pytest

from ganeti.htools import fullscore, loader, metrics
from ganeti.htools.model import Instance

from conftest import gen_cluster


@pytest.mark.parametrize("nodes,insts,seed", [(8, 20, 1), (30, 150, 2),
                                              (60, 400, 3)])
def test_batch_matches_scalar(tmp_path, nodes, insts, seed):
    cd = loader.merge_data(loader.load_text_file(
        gen_cluster(str(tmp_path / "c.data"), nodes, insts, seed=seed)))
    rng = random.Random(seed)
    changes = []
    for _ in range(40):
        p = rng.randrange(len(cd.nodes))
        if cd.nodes[p].offline:
            continue
        inst = Instance("new", rng.choice([128, 1024, 4096]),
                        rng.choice([1024, 10240]), rng.randint(1, 4),
                        "running", [], True, p, -1, "plain")
        inst.idx = len(cd.instances)
        new = cd.nodes[p].add_pri(inst, True)
        if isinstance(new, str):
            continue
        changes.append((p, new))
    assert changes
    got = fullscore.scores(cd.nodes, changes)
    for (p, new), score in zip(changes, got):
        nl = list(cd.nodes)
        nl[p] = new
        assert score == metrics.comp_cv(nl)
