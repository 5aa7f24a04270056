"""The SOP decision layer: declarative playbooks (YAML) executed by ``decide()``.

Public API (what the nightly job, the review report and notebooks call)::

    from pipeline.playbook import resolve_playbook, lint, check_playbook, decide, playbook_diagram

    pb = resolve_playbook("saas")                 # or a path to a YAML file
    warnings = check_playbook(pb, known_features)  # raises PlaybookError on lint errors
    decisions = decide(scored, pb, offers, as_of, accounts)
    mermaid = playbook_diagram(pb, node_counts(decisions))
"""
from pipeline.playbook.decide import DECISION_COLUMNS, decide
from pipeline.playbook.diagram import node_counts, playbook_diagram, playbook_svg
from pipeline.playbook.issues import PlaybookError, PlaybookIssue
from pipeline.playbook.lint import check_playbook, lint
from pipeline.playbook.load import load_playbook, parse_playbook, resolve_playbook, shipped_playbooks
from pipeline.playbook.schema import Playbook

__all__ = [
    "DECISION_COLUMNS", "Playbook", "PlaybookError", "PlaybookIssue", "check_playbook", "decide", "lint",
    "load_playbook", "node_counts", "parse_playbook", "playbook_diagram", "playbook_svg", "resolve_playbook",
    "shipped_playbooks",
]
