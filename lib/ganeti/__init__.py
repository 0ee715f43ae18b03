"""ganeti: a Python 3 implementation of the Ganeti cluster manager (2.x design, 3.0 interfaces)."""
