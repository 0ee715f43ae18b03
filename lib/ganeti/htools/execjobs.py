"""hbal -X: running the computed moves as jobs through the master (luxi).

Owns turning hbal's job sets into opcodes (migrate for failovers, replace
disks with a new secondary, migrate to a target for shared storage),
submitting each job set as one job per instance, waiting for all of them
and stopping at the first job set with a failed job.  Output lines follow
the reference tool.
"""

from __future__ import annotations

import sys
import time

from ganeti import constants, errors, luxi, pathutils
from ganeti.htools import balance, evacuate
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS


def move_opcodes(move: tuple, iname: str, names: list, opts: dict) -> list:
    """The opcodes of one hbal move, in execution order."""
    kind = move[0]
    mig = evacuate._migrate_op(iname)
    ops = []
    if kind == balance.FAILOVER:
        ops = [mig]
    elif kind == balance.FAILOVER_TO_ANY:
        op = dict(mig)
        op["target_node"] = names[move[1]]
        ops = [op]
    else:
        rep = evacuate._replace_op(iname, names[move[1]])
        ops = {
            balance.REPLACE_SECONDARY: [rep],
            balance.REPLACE_AND_FAILOVER: [rep, mig],
            balance.REPLACE_PRIMARY: [mig, rep, dict(mig)],
            balance.FAILOVER_AND_REPLACE: [mig, rep],
        }[kind]
    out = []
    for op in ops:
        op = dict(op)
        if opts.get("priority") is not None:
            op["priority"] = _priority(opts["priority"])
        reason = opts.get("reason")
        op["reason"] = [["gnt:library:hbal", reason or "hbal", time.time_ns()]]
        out.append(op)
    return out


def _priority(name: str) -> int:
    return {
        "low": constants.OP_PRIO_LOW,
        "normal": constants.OP_PRIO_NORMAL,
        "high": constants.OP_PRIO_HIGH,
    }.get(name, constants.OP_PRIO_NORMAL)


def _wait(client, job_id: int) -> str:
    prev = None
    serial = None
    while True:
        res = client.WaitForJobChangeOnce(job_id, ["status"], prev, serial)
        if res is None:
            return constants.JOB_STATUS_ERROR
        if res == constants.JOB_NOTCHANGED:
            continue
        info, log = res
        if log:
            serial = max(e[0] for e in log)
        prev = info
        if info[0] in constants.JOBS_FINALIZED:
            return info[0]


def execute(opts: dict, cd, jobsets: list) -> int:
    """Runs the job sets; returns the exit code."""
    if not jobsets:
        return EXIT_SUCCESS
    if not opts.get("luxi_given"):
        sys.stdout.flush()
        sys.stderr.write("Error: hbal: Execution of commands possible only on LUXI\n")
        return EXIT_FAILURE
    address = opts.get("luxi") or pathutils.MASTER_SOCKET
    by_alias = {i.alias: i.name for i in cd.instances}
    names = [n.name for n in cd.nodes]
    if opts.get("first_job_group"):
        jobsets = jobsets[:1]
    out = sys.stdout
    try:
        client = luxi.Client(address=address)
        try:
            for js in jobsets:
                inames = [by_alias.get(m[0], m[0]) for m in js]
                out.write("Executing jobset for instances %s\n" % ", ".join(inames))
                out.flush()
                jobs = [move_opcodes(m[1], iname, names, opts) for m, iname in zip(js, inames)]
                res = client.SubmitManyJobs(jobs)
                bad = [r[1] for r in res if not r[0]]
                if bad:
                    sys.stderr.write(
                        "Cannot compute job status, aborting: %s\n" % "; ".join(map(str, bad))
                    )
                    return EXIT_FAILURE
                jids = [r[1] for r in res]
                out.write("Got job IDs %s\n" % ", ".join(map(str, jids)))
                out.flush()
                failed = [
                    (j, st)
                    for j in jids
                    for st in [_wait(client, j)]
                    if st != constants.JOB_STATUS_SUCCESS
                ]
                if failed:
                    sys.stderr.write(
                        "Not all jobs completed successfully:"
                        " %s\n" % ", ".join("job %s: %s" % f for f in failed)
                    )
                    sys.stderr.write("Aborting.\n")
                    return EXIT_FAILURE
        finally:
            client.close()
    except (errors.GenericError, OSError) as err:
        sys.stderr.write("Error: hbal: %s\n" % err)
        return EXIT_FAILURE
    return EXIT_SUCCESS
