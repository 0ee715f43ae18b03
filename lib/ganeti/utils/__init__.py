"""Small focused helpers; import the submodule you need (utils.io, ...).

This package's __init__ re-exports the most used helpers so callers can write
``utils.write_file``; it must stay cheap to import (no heavy modules here).
"""

from ganeti.utils.io import (
    write_file,
    read_file,
    remove_file,  # noqa
    make_dirs,
    fsync_dir,
    read_one_line,
)
from ganeti.utils.text import (
    nice_sort,
    format_unit,
    parse_unit,  # noqa
    new_uuid,
    try_convert,
    split_kv,
)
from ganeti.utils.retry import retry, RetryTimeout, RetryAgain  # noqa
from ganeti.utils.process import run_cmd, RunResult  # noqa
