"""Tag logical units and the tag lookup shared with luxi QueryTags."""

import re
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU


def tag_target(cfg: Any, kind: str, name: str | None) -> Any:
    """The taggable object of ``kind`` called ``name``."""
    if kind == constants.TAG_CLUSTER:
        return cfg.get_cluster_info()
    if not name:
        raise errors.OpPrereqError("Missing name for tag kind '%s'" % kind, errors.ECODE_INVAL)
    if kind == constants.TAG_NODE:
        uuid, _ = cfg.expand_node_name(name)
        if uuid is None:
            raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
        return cfg.get_node_info(uuid)
    if kind == constants.TAG_INSTANCE:
        uuid, _ = cfg.expand_instance_name(name)
        if uuid is None:
            raise errors.OpPrereqError("Instance '%s' not known" % name, errors.ECODE_NOENT)
        return cfg.get_instance_info(uuid)
    if kind == constants.TAG_NODEGROUP:
        return cfg.get_node_group(cfg.lookup_node_group(name))
    if kind == constants.TAG_NETWORK:
        return cfg.get_network(cfg.lookup_network(name))
    raise errors.OpPrereqError("Wrong tag type requested (%s)" % kind, errors.ECODE_INVAL)


def get_tags(cfg: Any, kind: str, name: str | None) -> list[str]:
    """The sorted tags of an object (luxi QueryTags, OP_TAGS_GET)."""
    return sorted(tag_target(cfg, kind, name).get_tags())


def _lock_level(kind: str) -> int | None:
    return {
        constants.TAG_NODE: locking.LEVEL_NODE,
        constants.TAG_INSTANCE: locking.LEVEL_INSTANCE,
        constants.TAG_NODEGROUP: locking.LEVEL_NODEGROUP,
        constants.TAG_NETWORK: locking.LEVEL_NETWORK,
    }.get(kind)


class _TagsLU(NoHooksLU):
    REQ_BGL = False
    _lock_shared = 1

    def expand_names(self) -> None:
        self.needed_locks = {}
        kind = self.op.kind
        if kind not in constants.VALID_TAG_TYPES:
            raise errors.OpPrereqError("Wrong tag type requested (%s)" % kind, errors.ECODE_INVAL)
        target = tag_target(self.cfg, kind, getattr(self.op, "name", None))
        level = _lock_level(kind)
        if level is not None:
            lock_name = target.name if kind == constants.TAG_INSTANCE else target.uuid
            self.needed_locks[level] = [lock_name]
            self.share_locks[level] = self._lock_shared

    def _target(self) -> Any:
        return tag_target(self.cfg, self.op.kind, getattr(self.op, "name", None))


class LUTagsGet(_TagsLU):
    """OP_TAGS_GET: an object's tags."""

    def exec(self, feedback_fn: Any) -> list[str]:
        return sorted(self._target().get_tags())


class LUTagsSet(_TagsLU):
    """OP_TAGS_SET: adds tags to an object."""

    _lock_shared = 0

    def check_prereq(self) -> None:
        target = self._target()
        for tag in self.op.tags:
            _check_tag(tag)
        if len(set(target.get_tags()) | set(self.op.tags)) > constants.MAX_TAGS_PER_OBJ:
            raise errors.TagError("Too many tags")

    def exec(self, feedback_fn: Any) -> None:
        target = self._target()
        for tag in self.op.tags:
            target.add_tag(tag)
        self.cfg.update(target, feedback_fn)


class LUTagsDel(_TagsLU):
    """OP_TAGS_DEL: removes tags from an object."""

    _lock_shared = 0

    def check_prereq(self) -> None:
        target = self._target()
        missing = sorted(set(self.op.tags) - set(target.get_tags()))
        if missing:
            raise errors.OpPrereqError(
                "Tag(s) %s not found" % ", ".join("'%s'" % t for t in missing), errors.ECODE_NOENT
            )

    def exec(self, feedback_fn: Any) -> None:
        target = self._target()
        for tag in self.op.tags:
            target.remove_tag(tag)
        self.cfg.update(target, feedback_fn)


class LUTagsSearch(NoHooksLU):
    """OP_TAGS_SEARCH: (path, tag) pairs of tags matching a regex."""

    REQ_BGL = False

    def check_arguments(self) -> None:
        try:
            self.regex = re.compile(self.op.pattern)
        except re.error as err:
            raise errors.OpPrereqError(
                "Invalid search pattern '%s': %s" % (self.op.pattern, err), errors.ECODE_INVAL
            ) from None

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Any) -> list[list[str]]:
        cfg = self.cfg
        objects = [("/cluster", cfg.get_cluster_info())]
        objects += [("/instances/%s" % i.name, i) for i in cfg.get_all_instances_info().values()]
        objects += [("/nodes/%s" % n.name, n) for n in cfg.get_all_nodes_info().values()]
        objects += [("/nodegroup/%s" % g.name, g) for g in cfg.get_all_node_groups_info().values()]
        objects += [("/networks/%s" % n.name, n) for n in cfg.get_all_networks_info().values()]
        results = []
        for path, obj in objects:
            for tag in sorted(obj.get_tags()):
                if self.regex.search(tag):
                    results.append([path, tag])
        return results


def _check_tag(tag: str) -> None:
    if not isinstance(tag, str) or not tag:
        raise errors.TagError("Invalid tag: empty")
    if len(tag) > constants.MAX_TAG_LEN:
        raise errors.TagError("Tag too long (>%d characters)" % constants.MAX_TAG_LEN)
    if not re.match(r"^[\w.+*/:@-]+$", tag):
        raise errors.TagError("Tag contains invalid characters")
