"""RAPI handlers of cluster-wide resources: version, info, features, OS
list, cluster modify/redistribute, tags, jobs, queries and filters.

Each handler takes a ``baserlib.Context`` and returns a JSON-able value; the
table in ``rapi.resources`` says which path and method calls it.  Handlers
must never talk to the master except through ``baserlib`` (luxi).
"""

from typing import Any, Callable

from ganeti import constants, errors, http, opcodes, rapi
from ganeti.rapi import baserlib
from ganeti.rapi.baserlib import Context

J_FIELDS_BULK = ["id", "ops", "status", "summary", "opstatus", "received_ts", "start_ts", "end_ts"]
J_FIELDS = J_FIELDS_BULK + ["oplog", "opresult"]
FILTER_FIELDS = ["watermark", "priority", "predicates", "action", "reason_trail", "uuid"]


# --- root -----------------------------------------------------------------------


def get_root(ctx: Context) -> None:
    """``/`` and ``/2``: nothing (kept for old clients)."""
    return None


def get_version(ctx: Context) -> int:
    return constants.RAPI_VERSION


def get_features(ctx: Context) -> list[str]:
    return list(rapi.ALL_FEATURES)


def get_openapi(ctx: Context) -> dict:
    """The OpenAPI 3.1 description of this API (generated from its table)."""
    from ganeti.rapi import openapi  # pylint: disable=import-outside-toplevel

    return openapi.document()


def get_info(ctx: Context) -> dict:
    info = baserlib.luxi_call("QueryClusterInfo")
    if "volume_group_name" in info:
        info.setdefault("vg_name", info["volume_group_name"])
    elif "vg_name" in info:
        info["volume_group_name"] = info["vg_name"]
    if "drbd_usermode_helper" in info:
        info.setdefault("drbd_helper", info["drbd_usermode_helper"])
    elif "drbd_helper" in info:
        info["drbd_usermode_helper"] = info["drbd_helper"]
    return info


def _expand_variants(rows: list) -> list[str]:
    names = []
    for name, variants in rows:
        if variants:
            names.extend("%s+%s" % (name, v) for v in variants)
        else:
            names.append(name)
    return names


def get_os(ctx: Context) -> list[str]:
    """OS names with their variants ("os+variant")."""
    fields = ["name", "variants"]
    if not baserlib.missing_lus([opcodes.OpOsDiagnose]):
        op = opcodes.OpOsDiagnose(output_fields=fields, names=[])
        job_id = baserlib.submit_job([op], ctx)
        result = _wait_for_job(job_id)
        if not (isinstance(result, list) and result and isinstance(result[0], list)):
            raise http.HttpBadGateway("Can't get OS list")
        return _expand_variants(result[0])
    try:
        answer = baserlib.luxi_call("Query", constants.QR_OS, fields, None)
    except errors.OpPrereqError as err:
        if len(err.args) >= 2 and err.args[1] == errors.ECODE_ENVIRON:
            raise http.HttpNotImplemented(
                "Not implemented in this version of the cluster software: the OS list"
                " (OP_OS_DIAGNOSE, needs LUOsDiagnose): %s" % baserlib.error_text(err)
            ) from None
        raise
    return _expand_variants([[cell[1] for cell in row] for row in answer["data"]])


def _wait_for_job(job_id: int, timeout: float = 60.0) -> Any:
    import time

    end = time.monotonic() + timeout
    prev = None
    serial = None
    while time.monotonic() < end:
        change = baserlib.luxi_call(
            "WaitForJobChangeOnce", job_id, ["status", "opresult"], prev, serial, 10
        )
        if change is None:
            raise http.HttpBadGateway("Job %s disappeared" % job_id)
        if change == constants.JOB_NOTCHANGED:
            continue
        info, logs = change
        prev = info
        if logs:
            serial = logs[-1][0]
        if info[0] == constants.JOB_STATUS_SUCCESS:
            return info[1]
        if info[0] in constants.JOBS_FINALIZED:
            raise http.HttpBadGateway("Job %s failed: %s" % (job_id, info[1]))
    raise http.HttpGatewayTimeout("Job %s did not finish in %d seconds" % (job_id, timeout))


def put_modify(ctx: Context) -> int:
    body = ctx.body_dict()
    if "compression_tools" in body:
        raise http.HttpForbidden("Compression tools cannot be set through the remote API")
    static = {"dry_run": ctx.dry_run()} if "dry-run" in ctx.query else None
    op = baserlib.fill_opcode(opcodes.OpClusterSetParams, body, static)
    return baserlib.submit_job([op], ctx)


def put_redistribute_config(ctx: Context) -> int:
    static = {"dry_run": ctx.dry_run()} if "dry-run" in ctx.query else None
    op = baserlib.fill_opcode(opcodes.OpClusterRedistConf, ctx.body, static)
    return baserlib.submit_job([op], ctx)


# --- tags (every kind) ---------------------------------------------------------------


def tags_handlers(kind: str, param: str | None) -> tuple[Callable, Callable, Callable]:
    """GET, PUT and DELETE handlers of the tags of one kind of object."""

    def name_of(ctx: Context) -> str:
        return ctx.params[param] if param else ""

    def get(ctx: Context) -> list[str]:
        return baserlib.luxi_call("QueryTags", kind, name_of(ctx))

    def change(ctx: Context, opcls: type, verb: str) -> int:
        tags = ctx.args("tag")
        if not tags:
            raise http.HttpBadRequest(
                "Please specify tag(s) to %s using the 'tag' parameter" % verb
            )
        static: dict = {"kind": kind, "tags": tags}
        if kind != constants.TAG_CLUSTER:
            static["name"] = name_of(ctx)
        if "dry-run" in ctx.query:
            static["dry_run"] = ctx.dry_run()
        op = baserlib.fill_opcode(opcls, ctx.body, static)
        return baserlib.submit_job([op], ctx)

    def put(ctx: Context) -> int:
        return change(ctx, opcodes.OpTagsSet, "add")

    def delete(ctx: Context) -> int:
        return change(ctx, opcodes.OpTagsDel, "delete")

    return get, put, delete


# --- jobs ----------------------------------------------------------------------------


def get_jobs(ctx: Context) -> list:
    if ctx.bulk():
        rows = baserlib.luxi_call("QueryJobs", None, J_FIELDS_BULK)
        return [baserlib.map_fields(J_FIELDS_BULK, row) for row in rows if row is not None]
    rows = baserlib.luxi_call("QueryJobs", None, ["id"])
    return baserlib.build_uri_list(sorted(row[0] for row in rows if row is not None), "/2/jobs/%s")


def get_job(ctx: Context) -> dict:
    job_id = int(ctx.params["job_id"])
    rows = baserlib.luxi_call("QueryJobs", [job_id], J_FIELDS)
    if not rows or rows[0] is None:
        raise http.HttpNotFound()
    return baserlib.map_fields(J_FIELDS, rows[0])


def delete_job(ctx: Context) -> list:
    return baserlib.luxi_call("CancelJob", int(ctx.params["job_id"]))


def get_job_wait(ctx: Context) -> dict | None:
    job_id = int(ctx.params["job_id"])
    fields = ctx.body_param("fields")
    prev_job_info = ctx.body_param("previous_job_info", None)
    prev_log_serial = ctx.body_param("previous_log_serial", None)
    if not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        raise http.HttpBadRequest("The 'fields' parameter should be a list")
    if not (prev_job_info is None or isinstance(prev_job_info, list)):
        raise http.HttpBadRequest("The 'previous_job_info' parameter should be a list")
    if not (
        prev_log_serial is None
        or (isinstance(prev_log_serial, int) and not isinstance(prev_log_serial, bool))
    ):
        raise http.HttpBadRequest("The 'previous_log_serial' parameter should be a number")
    result = baserlib.luxi_call(
        "WaitForJobChangeOnce", job_id, fields, prev_job_info, prev_log_serial, rapi.WFJC_TIMEOUT
    )
    if not result:
        raise http.HttpNotFound()
    if result == constants.JOB_NOTCHANGED:
        return None
    job_info, log_entries = result
    return {"job_info": job_info, "log_entries": log_entries}


# --- query ---------------------------------------------------------------------------


def _query_fields_arg(ctx: Context) -> list[str]:
    text = ctx.arg("fields")
    if text is None:
        raise http.HttpBadRequest("Missing 'fields' query argument")
    return baserlib.split_fields(text)


def get_query(ctx: Context) -> dict:
    return baserlib.luxi_call("Query", ctx.params["resource"], _query_fields_arg(ctx), None)


def put_query(ctx: Context) -> dict:
    body = ctx.body_dict()
    if "fields" in body:
        fields = body["fields"]
        if not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
            raise http.HttpBadRequest("The 'fields' parameter should be a list of strings")
    else:
        fields = _query_fields_arg(ctx)
    qfilter = body.get("qfilter")
    if qfilter is None:
        qfilter = body.get("filter")
    if qfilter is not None and not isinstance(qfilter, list):
        raise http.HttpBadRequest("The query filter should be a list or null")
    return baserlib.luxi_call("Query", ctx.params["resource"], fields, qfilter)


def get_query_fields(ctx: Context) -> dict:
    text = ctx.arg("fields")
    fields = baserlib.split_fields(text) if text is not None else None
    return baserlib.luxi_call("QueryFields", ctx.params["resource"], fields)


# --- filters -------------------------------------------------------------------------


def _filter_rows(qfilter: Any, fields: list[str]) -> list[dict]:
    answer = baserlib.luxi_call("Query", constants.QR_FILTER, fields, qfilter)
    return [dict(zip(fields, (cell[1] for cell in row))) for row in answer["data"]]


def get_filters(ctx: Context) -> list:
    if ctx.bulk():
        return _filter_rows(None, FILTER_FIELDS)
    return baserlib.build_uri_list(
        [row["uuid"] for row in _filter_rows(None, ["uuid"])], "/2/filters/%s", "uuid"
    )


def get_filter(ctx: Context) -> dict:
    rows = _filter_rows(["=", "uuid", ctx.params["filter_uuid"]], FILTER_FIELDS)
    if not rows:
        raise http.HttpNotFound()
    return rows[0]


def filters_unavailable(ctx: Context) -> None:
    raise http.HttpNotImplemented(
        "Not implemented in this version of the cluster software: changing job filter"
        " rules (luxi ReplaceFilter/DeleteFilter)"
    )
