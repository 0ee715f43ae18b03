"""Logical units, one module per area; this package exports every LU class.

``mcpu.get_lu_class`` finds ``LUFooBar`` here for opcode ``OpFooBar``.
"""

from ganeti.cmdlib.base import LogicalUnit, NoHooksLU, ResultWithJobs  # noqa: F401
from ganeti.cmdlib.cluster import LUClusterQuery, LUClusterConfigQuery  # noqa: F401
from ganeti.cmdlib.misc import LUTestDelay  # noqa: F401
from ganeti.cmdlib.tags import LUTagsGet, LUTagsSet, LUTagsDel, LUTagsSearch  # noqa: F401
from ganeti.cmdlib.query_lu import LUQuery, LUQueryFields  # noqa: F401
from ganeti.cmdlib.node import LUNodeAdd, LUNodeRemove, LUNodeSetParams  # noqa: F401
from ganeti.cmdlib.group import (  # noqa: F401
    LUGroupAdd,
    LUGroupRemove,
    LUGroupRename,
    LUGroupSetParams,
    LUGroupAssignNodes,
)
from ganeti.cmdlib.cluster_ops import (  # noqa: F401
    LUClusterActivateMasterIp,
    LUClusterDeactivateMasterIp,
    LUClusterDestroy,
    LUClusterPostInit,
    LUClusterRedistConf,
    LUClusterRename,
    LUClusterRenewCrypto,
    LUClusterSetParams,
    LUClusterVerify,
    LUClusterVerifyDisks,
)
from ganeti.cmdlib.cluster_verify import LUClusterVerifyConfig, LUClusterVerifyGroup  # noqa: F401
from ganeti.cmdlib.group_verify import LUGroupVerifyDisks  # noqa: F401
from ganeti.cmdlib.instance_create import LUInstanceCreate  # noqa: F401
from ganeti.cmdlib.instance_ops import (  # noqa: F401
    LUInstanceActivateDisks,
    LUInstanceConsole,
    LUInstanceDeactivateDisks,
    LUInstanceGrowDisk,
    LUInstanceQueryData,
    LUInstanceReboot,
    LUInstanceRecreateDisks,
    LUInstanceReinstall,
    LUInstanceRemove,
    LUInstanceRename,
    LUInstanceShutdown,
    LUInstanceStartup,
)
from ganeti.cmdlib.instance_set_params import LUInstanceSetParams  # noqa: F401
from ganeti.cmdlib.os import LUOsDiagnose  # noqa: F401
from ganeti.cmdlib.instance_create import LUInstanceMultiAlloc  # noqa: F401
from ganeti.cmdlib.node_storage import (  # noqa: F401
    LUNodeModifyStorage,
    LUNodeQueryStorage,
    LUNodeQueryvols,
    LURepairNodeStorage,
)
from ganeti.cmdlib.instance_migration import (  # noqa: F401
    LUInstanceFailover,
    LUInstanceMigrate,
    LUNodeMigrate,
)
