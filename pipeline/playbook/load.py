"""YAML → validated ``Playbook``, with errors that name the file, the key path and the line.

Shipped playbooks (``saas``, ``ecommerce``, ``b2b_services``, ``telecom``) are package data read
through ``importlib.resources``; anything else is a path to a YAML file. Loading checks the format
(pydantic) and the condition language; ``lint.py`` then checks the SOP as a whole.
"""
from __future__ import annotations

import difflib
import re
import reprlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.playbook import schema
from pipeline.playbook.issues import KeyPath, PlaybookError, PlaybookIssue, SourceMap, key_text
from pipeline.playbook.schema import Playbook

SHIPPED_PACKAGE = "pipeline"
SHIPPED_DIR = "playbooks"


def shipped_playbooks() -> dict[str, Traversable]:
    """The playbooks that ship with the package: name → resource, sorted by name."""
    folder = resources.files(SHIPPED_PACKAGE).joinpath(SHIPPED_DIR)
    found = {p.name[: -len(".yaml")]: p for p in folder.iterdir() if p.name.endswith(".yaml")}
    return dict(sorted(found.items()))


def resolve_playbook(ref: str | Path) -> Playbook:
    """Load a shipped playbook by name (``saas``) or any playbook by YAML path."""
    shipped = shipped_playbooks()
    if isinstance(ref, str) and ref in shipped:
        resource = shipped[ref]
        return parse_playbook(resource.read_text(encoding="utf-8"), source=f"{ref} (shipped: {resource.name})")
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return load_playbook(path)
    raise PlaybookError([
        PlaybookIssue("error", "", f"no shipped playbook named {str(ref)!r} and no such YAML file; "
                                   f"shipped: {', '.join(shipped) or 'none'}", str(ref))
    ])


def load_playbook(path: str | Path) -> Playbook:
    """Read and validate one playbook YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError([PlaybookIssue("error", "", f"cannot read the playbook: {exc.strerror or exc}", str(path))]) from None
    except UnicodeDecodeError:
        raise PlaybookError([PlaybookIssue("error", "", "the playbook is not UTF-8 text", str(path))]) from None
    return parse_playbook(text, source=str(path))


def parse_playbook(text: str, source: str = "<playbook>") -> Playbook:
    """Validate playbook YAML ``text``; ``source`` names it in error messages."""
    lines, data = _read_yaml(text, source)
    smap = SourceMap(source, lines)
    if not isinstance(data, dict):
        raise PlaybookError([smap.issue("error", (), "the playbook must be a YAML mapping of keys (name, objective, triggers, …)")])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError([_issue_from(err, smap) for err in exc.errors()]) from None
    playbook._source = smap
    return playbook


def _read_yaml(text: str, source: str) -> tuple[dict[KeyPath, int], object]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        context = getattr(exc, "context_mark", None)
        key = _key_above(text, (context or mark).line + 1) if (context or mark) is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookError([PlaybookIssue("error", key, f"not valid YAML: {problem}", source, line)]) from None
    lines: dict[KeyPath, int] = {}
    duplicates: list[PlaybookIssue] = []
    if root is not None:
        _walk(root, (), lines, duplicates, source, set())
    if duplicates:
        raise PlaybookError(duplicates)
    return lines, data


def _key_above(text: str, line: int) -> str:
    """Best guess of the key path a broken YAML line belongs to, from indentation (for messages)."""
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines()[:line]:
        m = re.match(r"^(\s*)(?:- )?([A-Za-z0-9_\-]+)\s*:", raw)
        if not m or raw.lstrip().startswith("#"):
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
    return ".".join(k for _, k in stack)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], dups: list[PlaybookIssue], source: str,
          seen_nodes: set[int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen_nodes:  # an alias (*name) of a node already walked: once is enough, and
        return                  # walking every expansion of nested aliases takes exponential time
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                dups.append(PlaybookIssue("error", key_text(path + (key,)),
                                          f"key appears twice (lines {seen[key]} and {line}); YAML would silently keep the last",
                                          source, line))
                continue
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, dups, source, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, dups, source, seen_nodes)


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            names.update(obj.model_fields)
    return names


def _issue_from(err: dict, smap: SourceMap) -> PlaybookIssue:
    loc: KeyPath = tuple(err["loc"])
    kind = err["type"]
    known = smap.known(loc)
    path = loc if kind == "missing" or not known else known
    if kind == "extra_forbidden":
        bad = str(loc[-1])
        close = difflib.get_close_matches(bad, sorted(_all_field_names()), n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown key {bad!r}{hint}"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = err["msg"].removeprefix("Value error, ")
        if kind in ("literal_error", "enum") or kind.endswith("_parsing") or kind.endswith("_type"):
            message += f" (got {_shown(err.get('input'))})"
    return smap.issue("error", path, message)


def _shown(value: object, limit: int = 80) -> str:
    """A value for a message, cut to ``limit`` characters; ``reprlib`` never renders more than a
    few items, so a list pulled in by nested aliases (``*a``) cannot blow up the message."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " …" + text[-2:]


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 3, 4, 4, 4
_SHORT.maxstring = _SHORT.maxother = 60
