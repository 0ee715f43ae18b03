"""Unit tests of the htools model, loader and score (no Haskell needed)."""

import pytest

from ganeti.htools import balance, loader, metrics

from conftest import gen_cluster


def _load(path):
    cd = loader.load_text_file(path)
    return loader.merge_data(cd)


def test_roundtrip(tmp_path):
    p = gen_cluster(str(tmp_path / "c.data"), 12, 40)
    text = open(p).read()
    cd = _load(p)
    assert loader.serialize_cluster(cd) + "\n" == text


def test_incremental_score_matches_full(tmp_path):
    p = gen_cluster(str(tmp_path / "c.data"), 12, 40)
    cd = _load(p)
    tbl = balance.make_group_table(cd.nodes, cd.instances,
                                   [n.idx for n in cd.nodes], cd.instances)
    opts = balance.AlgOptions()
    for _ in range(5):
        new = balance.try_balance(opts, tbl)
        if new is None:
            break
        assert new.score == pytest.approx(metrics.comp_cv(new.nodes),
                                          abs=1e-9)
        assert new.score < tbl.score
        tbl = new


@pytest.mark.parametrize("text,msg", [
    ("g|u|preferred||\n", "sections instead of 4"),
    ("g|u|preferred||\n\nn1|1|2\n\n\n", "Invalid/incomplete node data"),
    ("g|u|preferred||\n\nn1|1024|0|1024|1024|1024|1|N|u\n\n"
     "i1|128|128|1|running|Y|n2||plain|\n\n", "Unknown node 'n2'"),
    ("g|u|preferred||\n\nn1|1024|0|1024|1024|1024|1|N|u\n\n"
     "i1|128|128|1|running\n\n", "Invalid/incomplete instance data"),
])
def test_load_errors(text, msg):
    with pytest.raises(loader.LoadError, match=msg):
        loader.parse_text(text)
