"""The Ganeti remote API (RAPI), version 2: shared vocabulary.

Owns the words every part of the RAPI agrees on: access levels, the
authentication realm, the advertised features and the node role strings.
The resource table lives in ``rapi.resources``, request helpers in
``rapi.baserlib``, users and passwords in ``rapi.auth``, the OpenAPI
description in ``rapi.openapi``, the Python client in ``rapi.client`` and the
daemon in ``ganeti.server.rapi``.  It must never import any of them (the
client imports this package and must stay light).
"""

#: user options that grant access
RAPI_ACCESS_WRITE = "write"
RAPI_ACCESS_READ = "read"
RAPI_ACCESS_ALL = frozenset([RAPI_ACCESS_WRITE, RAPI_ACCESS_READ])

#: who may call a method: nobody special, users with "write", or any user
ACCESS_ANON: tuple[str, ...] = ()
ACCESS_WRITE: tuple[str, ...] = (RAPI_ACCESS_WRITE,)
ACCESS_READ: tuple[str, ...] = (RAPI_ACCESS_READ, RAPI_ACCESS_WRITE)

#: HTTP Basic realm; also part of {HA1} password hashes
AUTH_REALM = "Ganeti Remote API"

#: body key carrying the request version of POST /2/instances
REQ_DATA_VERSION = "__version__"

#: feature strings of /2/features
INST_CREATE_REQV1 = "instance-create-reqv1"
INST_REINSTALL_REQV1 = "instance-reinstall-reqv1"
NODE_MIGRATE_REQV1 = "node-migrate-reqv1"
NODE_EVAC_RES1 = "node-evac-res1"
ALL_FEATURES = (INST_CREATE_REQV1, INST_REINSTALL_REQV1, NODE_MIGRATE_REQV1, NODE_EVAC_RES1)

#: node roles as /2/nodes/[node]/role speaks them
NODE_ROLE_MASTER = "master"
NODE_ROLE_MASTER_CANDIDATE = "master-candidate"
NODE_ROLE_REGULAR = "regular"
NODE_ROLE_DRAINED = "drained"
NODE_ROLE_OFFLINE = "offline"
#: the query field "role" (one letter) -> role string
NODE_ROLE_BY_LETTER = {
    "M": NODE_ROLE_MASTER,
    "C": NODE_ROLE_MASTER_CANDIDATE,
    "R": NODE_ROLE_REGULAR,
    "D": NODE_ROLE_DRAINED,
    "O": NODE_ROLE_OFFLINE,
}

#: seconds a GET /2/jobs/[id]/wait call waits for a change at most
WFJC_TIMEOUT = 10

#: request bodies larger than this are refused with 413
MAX_BODY_BYTES = 4 * 1024 * 1024
