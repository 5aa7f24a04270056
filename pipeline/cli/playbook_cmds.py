"""`upsell playbook list|validate|diagram`: the SOP playbooks, listed, linted and drawn."""
from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.errors import user_errors

PLAYBOOK_HELP = "A shipped playbook's name (saas, ecommerce, b2b_services, telecom) or a path to a YAML file."


def register(app: typer.Typer) -> None:
    """Attach the `playbook` command group to the `upsell` app."""
    group = typer.Typer(help="The SOP playbooks: list the shipped ones, lint one, draw it.", no_args_is_help=True)
    app.add_typer(group, name="playbook")

    @group.command("list")
    @user_errors
    def list_playbooks() -> None:
        """List the playbooks that ship with upsell-propensity."""
        from pipeline.playbook.load import resolve_playbook, shipped_playbooks

        for name in shipped_playbooks():
            pb = resolve_playbook(name)
            summary = " ".join(pb.description.split())
            typer.echo(f"{name:<14} v{pb.version:<4} {len(pb.triggers)} triggers, {len(pb.nodes)} decision nodes, "
                       f"{len(pb.actions)} actions  {summary[:90]}")

    @group.command("validate")
    @user_errors
    def validate(
        playbook: str = typer.Argument(..., help=PLAYBOOK_HELP),
        metric: list[str] = typer.Option(
            None, "--metric", help="A usage metric in your data (repeatable); without it any metric name is accepted."),
    ) -> None:
        """Lint a playbook: ownership, reachability, cycles, spelling, known features, path depth.

        Errors exit 1 (file:line: key: reason); warnings are printed and exit 0.
        """
        from pipeline.playbook.feature_names import known_features
        from pipeline.playbook.issues import PlaybookError
        from pipeline.playbook.lint import lint
        from pipeline.playbook.load import resolve_playbook

        try:
            pb = resolve_playbook(playbook)
        except PlaybookError as exc:  # the format itself is broken: same report format as lint
            issues, source = exc.issues, playbook
        else:
            known, origin = known_features(metric or None)
            if origin != "features.registry":
                typer.echo("note: features.registry is not importable; checked against the built-in feature list", err=True)
            issues, source = lint(pb, known), pb.source.file
        for issue in issues:
            typer.echo(issue.render(), err=True)
        errors = sum(i.severity == "error" for i in issues)
        warnings = len(issues) - errors
        if errors:
            typer.echo(f"{source}: {errors} error(s), {warnings} warning(s)", err=True)
            raise typer.Exit(code=1)
        typer.echo(f"{source}: ok ({warnings} warning(s))")

    @group.command("diagram")
    @user_errors
    def diagram(
        playbook: str = typer.Argument(..., help=PLAYBOOK_HELP),
        scores: Path = typer.Option(None, "--scores", help="A scored list (parquet/CSV with decision_path or "
                                                           "final_node): annotate every node with its account count."),
        out: Path = typer.Option(None, "--out", help="Directory for <name>.mmd and <name>.svg; "
                                                     "without it the Mermaid text goes to stdout."),
    ) -> None:
        """Draw a playbook as Mermaid text and an SVG, optionally with accounts per node."""
        from pipeline.playbook.diagram_files import write_diagram

        written = write_diagram(playbook, scores=scores, out=out)
        if out is None:
            typer.echo(written["mermaid_text"], nl=False)
        else:
            for kind in ("mermaid", "svg"):
                typer.echo(f"wrote {written[kind]}")

