"""Field tables and query contexts of each query2 resource, one module each.

Use them through :mod:`ganeti.query` (``query.NODE_FIELDS``,
``query.NodeQueryData``, ``query.get_fields_table(constants.QR_NODE)``);
this package only holds the data.  It must never import anything heavy:
each module is loaded the first time its resource is queried.
"""
