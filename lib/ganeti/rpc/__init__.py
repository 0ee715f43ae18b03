"""Node RPC: the procedure table (``defs``), wire encodings (``encoding``)
and the parallel client (``client.RpcRunner``).

This package's __init__ must stay empty of imports: ganeti-noded imports
``rpc.encoding`` and must not pay for pycurl.
"""
