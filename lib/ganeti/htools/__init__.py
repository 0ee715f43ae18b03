"""htools: cluster balancing, allocation and capacity tools (hbal, hail,
hspace, hinfo, hcheck, hroller, hscan), answer-compatible with Ganeti's."""
