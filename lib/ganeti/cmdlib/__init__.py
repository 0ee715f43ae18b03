"""Logical units, one module per area; this package exports every LU class.

``mcpu.get_lu_class`` finds ``LUFooBar`` here for opcode ``OpFooBar``.
"""

from ganeti.cmdlib.base import LogicalUnit, NoHooksLU, ResultWithJobs  # noqa: F401
from ganeti.cmdlib.cluster import LUClusterQuery, LUClusterConfigQuery  # noqa: F401
from ganeti.cmdlib.misc import LUTestDelay  # noqa: F401
from ganeti.cmdlib.tags import LUTagsGet, LUTagsSet, LUTagsDel, LUTagsSearch  # noqa: F401
from ganeti.cmdlib.query_lu import LUQuery, LUQueryFields  # noqa: F401
