"""Lint a playbook against the SOP's best practices.

Errors (the playbook must not run): an action without a defined owner role; a reference to an
undefined node, action, exit or role; a node, action or exit no trigger can reach; a cycle; two
spellings of one name (``Account Manager`` / ``account_manager``); a condition that reads an
unknown feature or an undefined score band, or compares a number with text; a reserved id used by
the playbook.
Warnings (worth a look): near-duplicate names, a path deeper than ``review.max_path_depth``
("a maze of conditional paths"), a role nobody uses, a fallback that can itself run out of
capacity, an automated owner on a call or demo.

``known_features`` is the list of feature names the playbook may read (besides ``score`` and
``score_band``). An entry containing ``<m>`` is a template for per-metric usage features:
``use_<m>_util_last`` accepts ``use_seats_used_util_last``. ``None`` skips that check.
"""
from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Collection, Iterable

from pipeline.playbook.conditions import parse_condition
from pipeline.playbook.issues import KeyPath, PlaybookError, PlaybookIssue
from pipeline.playbook.schema import RESERVED_IDS, Playbook
from pipeline.playbook.value_kinds import kind_mismatches

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MODEL_NAMES = frozenset({"score", "score_band"})
_AUTOMATED_CHANNELS_ONLY = ("email", "in_app", "other")


def lint(playbook: Playbook, known_features: Collection[str] | None = None) -> list[PlaybookIssue]:
    """Every issue found in ``playbook``: errors first, then warnings, each in file order."""
    found: list[PlaybookIssue] = []
    for check in (_ids, _spelling, _owners, _references, _graph):
        found.extend(check(playbook))
    if known_features is not None:
        found.extend(_features(playbook, known_features))
    found.extend(_band_names(playbook))
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda i: (i.severity != "error", i.line or 0, i.key))


def check_playbook(playbook: Playbook, known_features: Collection[str] | None = None) -> list[PlaybookIssue]:
    """Raise ``PlaybookError`` listing every lint error; return the warnings."""
    issues = lint(playbook, known_features)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise PlaybookError(errors)
    return [i for i in issues if i.severity == "warning"]


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _named(playbook: Playbook) -> list[tuple[str, str, KeyPath]]:
    """(category, name, key path) of every name the playbook defines."""
    out: list[tuple[str, str, KeyPath]] = [("role", r, ("roles", r)) for r in playbook.roles]
    out += [("score band", b.name, ("score_bands", i, "name")) for i, b in enumerate(playbook.score_bands)]
    out += [("trigger", t.id, ("triggers", i, "id")) for i, t in enumerate(playbook.triggers)]
    out += [("node", n, ("nodes", n)) for n in playbook.nodes]
    out += [("action", a, ("actions", a)) for a in playbook.actions]
    out += [("exit", e, ("exits", e)) for e in playbook.exits]
    return out


def _ids(pb: Playbook) -> Iterable[PlaybookIssue]:
    src = pb.source
    seen: dict[str, tuple[str, KeyPath]] = {}
    for category, name, path in _named(pb):
        if not ID_PATTERN.match(name):
            yield src.issue("error", path, f"{category} {name!r} is not a snake_case id (lower-case letters, digits, '_'); "
                                           "one spelling per name keeps reports and CRM fields consistent")
        if category in ("trigger", "node", "action", "exit"):
            if name in RESERVED_IDS:
                yield src.issue("error", path, f"{name!r} is reserved by the decision layer ({', '.join(RESERVED_IDS)})")
            if name in seen:
                other_cat, other_path = seen[name]
                yield src.issue("error", path, f"id {name!r} is used twice (also a {other_cat}: line {src.line(other_path)}); "
                                               "every trigger, node, action and exit needs its own id")
            else:
                seen[name] = (category, path)
    band_names = [b.name for b in pb.score_bands]
    for i, name in enumerate(band_names):
        if name in band_names[:i]:
            yield src.issue("error", ("score_bands", i, "name"), f"score band {name!r} is defined twice")


def _spelling(pb: Playbook) -> Iterable[PlaybookIssue]:
    src = pb.source
    named = _named(pb)
    by_normal: dict[str, tuple[str, str, KeyPath]] = {}
    for category, name, path in named:
        key = _normal(name)
        if key in by_normal and by_normal[key][1] != name:
            _, first, _ = by_normal[key]
            yield src.issue("error", path, f"{category} {name!r} is another spelling of {first!r}; use one spelling per name")
        by_normal.setdefault(key, (category, name, path))
    names = list(dict.fromkeys((c, n) for c, n, _ in named))
    paths = {(c, n): p for c, n, p in named}
    for i, (cat_a, a) in enumerate(names):
        for cat_b, b in names[i + 1:]:
            if cat_a != cat_b or _normal(a) == _normal(b) or min(len(a), len(b)) < 5:
                continue
            if difflib.SequenceMatcher(None, _normal(a), _normal(b)).ratio() >= 0.9:
                yield src.issue("warning", paths[(cat_b, b)], f"{cat_b} {b!r} looks like a near-duplicate of {a!r}; "
                                                             "if they mean the same thing, keep one spelling")


def _suggest(name: str, candidates: Iterable[str]) -> str:
    candidates = list(candidates)
    same = [c for c in candidates if _normal(c) == _normal(name)]
    if same:
        return f"; it is spelled {same[0]!r} elsewhere (one spelling per name)"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _owners(pb: Playbook) -> Iterable[PlaybookIssue]:
    src = pb.source
    for action_id, action in pb.actions.items():
        path = ("actions", action_id, "owner")
        role = pb.roles.get(action.owner)
        if role is None:
            yield src.issue("error", path, f"owner {action.owner!r} is not a defined role "
                                           f"(roles: {', '.join(pb.roles)}){_suggest(action.owner, pb.roles)}")
        elif role.weekly_capacity is None and action.channel not in _AUTOMATED_CHANNELS_ONLY:
            yield src.issue("warning", ("actions", action_id, "channel"),
                            f"a {action.channel} owned by {action.owner!r} (unlimited, i.e. automated) needs a person")
    if pb.account_owner_role not in pb.roles:
        yield src.issue("error", ("account_owner_role",), f"{pb.account_owner_role!r} is not a defined role"
                                                          f"{_suggest(pb.account_owner_role, pb.roles)}")
    used = {a.owner for a in pb.actions.values()}
    for role in pb.roles:
        if role not in used:
            yield src.issue("warning", ("roles", role), f"role {role!r} owns no action")


def _references(pb: Playbook) -> Iterable[PlaybookIssue]:
    src = pb.source
    targets = {**{n: "node" for n in pb.nodes}, **{a: "action" for a in pb.actions}, **{e: "exit" for e in pb.exits}}
    trigger_ids = {t.id for t in pb.triggers}

    def check(path: KeyPath, target: str) -> Iterable[PlaybookIssue]:
        if target in trigger_ids:
            yield src.issue("error", path, f"{target!r} is a trigger; triggers are entry points, not destinations")
        elif target not in targets:
            yield src.issue("error", path, f"{target!r} is not a defined node, action or exit{_suggest(target, targets)}")

    for i, t in enumerate(pb.triggers):
        yield from check(("triggers", i, "then"), t.then)
    for node_id, node in pb.nodes.items():
        for j, branch in enumerate(node.branches):
            yield from check(("nodes", node_id, "branches", j, "to"), branch.to)
        yield from check(("nodes", node_id, "otherwise"), node.otherwise)

    def check_action(path: KeyPath, action_id: str | None, what: str) -> Iterable[PlaybookIssue]:
        if action_id is None:
            return
        action = pb.actions.get(action_id)
        if action is None:
            yield src.issue("error", path, f"{what} {action_id!r} is not a defined action{_suggest(action_id, pb.actions)}")
            return
        role = pb.roles.get(action.owner)
        if role is not None and role.weekly_capacity is not None and what != "follow-up action":
            yield src.issue("warning", path, f"{what} {action_id!r} is owned by {action.owner!r}, which has a weekly capacity; "
                                             "work it cannot take is deferred")

    yield from check_action(("capacity", "fallback_action"), pb.capacity.fallback_action, "fallback action")
    for action_id, action in pb.actions.items():
        yield from check_action(("actions", action_id, "overflow_to"), action.overflow_to, "overflow action")
        if action.overflow_to == action_id:
            yield src.issue("error", ("actions", action_id, "overflow_to"), "an action cannot overflow to itself")
    yield from check_action(("exit_paths", "no_response", "follow_up_action"),
                            pb.exit_paths.no_response.follow_up_action, "follow-up action")


def _graph(pb: Playbook) -> Iterable[PlaybookIssue]:
    src = pb.source
    defined = set(pb.nodes) | set(pb.actions) | set(pb.exits)
    reached: set[str] = set()
    stack = [t.then for t in pb.triggers]
    while stack:
        here = stack.pop()
        if here in reached or here not in defined:
            continue
        reached.add(here)
        stack.extend(pb.targets(here))
    side_entries = {pb.capacity.fallback_action, pb.exit_paths.no_response.follow_up_action}
    side_entries |= {a.overflow_to for a in pb.actions.values()}
    for group, kind in ((pb.nodes, "node"), (pb.actions, "action"), (pb.exits, "exit")):
        for name in group:
            if name not in reached and name not in side_entries:
                yield src.issue("error", (kind + "s", name), f"{kind} {name!r} is unreachable: no trigger leads to it")
    yield from _cycles(pb)
    yield from _depth(pb)


def _cycles(pb: Playbook) -> Iterable[PlaybookIssue]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> Iterable[PlaybookIssue]:
        state[node] = 1
        for nxt in pb.targets(node):
            if nxt not in pb.nodes:
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt):] + [nxt]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    yield pb.source.issue("error", ("nodes", nxt), "cycle: " + " > ".join(loop)
                                          + "; every path must end in an action or an exit")
            elif nxt not in state:
                yield from visit(nxt, path + [nxt])
        state[node] = 2

    for node in pb.nodes:
        if node not in state:
            yield from visit(node, [node])


def _depth(pb: Playbook) -> Iterable[PlaybookIssue]:
    limit = pb.review.max_path_depth
    memo: dict[str, tuple[int, list[str]]] = {}

    def deepest(node: str, guard: frozenset[str]) -> tuple[int, list[str]]:
        if node not in pb.nodes or node in guard:
            return 0, [node]
        if node not in memo:
            best = max((deepest(n, guard | {node}) for n in pb.targets(node)), key=lambda x: x[0])
            memo[node] = (best[0] + 1, [node] + best[1])
        return memo[node]

    for i, t in enumerate(pb.triggers):
        depth, path = deepest(t.then, frozenset())
        if depth > limit:
            yield pb.source.issue("warning", ("triggers", i, "then"),
                                  f"path {t.id} > {' > '.join(path)} passes {depth} decision nodes (limit "
                                  f"review.max_path_depth = {limit}): too many conditional paths; simplify the tree")


def _conditions(pb: Playbook) -> Iterable[tuple[KeyPath, str]]:
    for i, t in enumerate(pb.triggers):
        yield ("triggers", i, "when"), t.when
    for node_id, node in pb.nodes.items():
        for j, b in enumerate(node.branches):
            yield ("nodes", node_id, "branches", j, "when"), b.when


def _feature_matcher(known: Collection[str]):
    exact = {k for k in known if "<m>" not in k}
    templates = [re.compile("^" + re.escape(k).replace(re.escape("<m>"), "[a-z0-9_]+") + "$") for k in known if "<m>" in k]
    return lambda name: name in exact or any(t.match(name) for t in templates), sorted(exact | {k for k in known if "<m>" in k})


def _features(pb: Playbook, known: Collection[str]) -> Iterable[PlaybookIssue]:
    matches, listing = _feature_matcher(known)
    for path, text in _conditions(pb):
        for name in sorted(parse_condition(text).names):
            if name in MODEL_NAMES or matches(name):
                continue
            yield pb.source.issue("error", path, f"{name!r} is not a known feature (nor score/score_band)"
                                                 f"{_suggest(name, listing + sorted(MODEL_NAMES))}")
    for path, message in kind_mismatches(_conditions(pb), matches):
        yield pb.source.issue("error", path, message)


def _band_names(pb: Playbook) -> Iterable[PlaybookIssue]:
    bands = [b.name for b in pb.score_bands]
    for path, text in _conditions(pb):
        for node in ast.walk(parse_condition(text).tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            if not any(isinstance(o, ast.Name) and o.id == "score_band" for o in operands):
                continue
            for o in operands:
                consts = o.elts if isinstance(o, (ast.List, ast.Tuple)) else [o]
                for c in consts:
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value not in bands:
                        yield pb.source.issue("error", path, f"score band {c.value!r} is not defined "
                                                             f"(score_bands: {', '.join(bands)}){_suggest(c.value, bands)}")
