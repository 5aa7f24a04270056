"""The ``upsell`` command line: thin typer commands over the public API.

Each command module owns one group of commands and registers them on ``app``. Commands parse
options and call one public function; the same functions serve notebooks.

Exit codes (the contract): 0 success, 1 bad input or a failed check, 2 bad usage.
"""
from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

import typer

from data.errors import UpsellError
from pipeline.cli import data_cmds, features_cmds, export_cmds, generate_cmds, job_cmds, model_cmds, playbook_cmds

app = typer.Typer(
    name="upsell",
    help="Upsell propensity pipeline: the upsell SOP as an executable, measured process.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"upsell-propensity {version('upsell-propensity')}")
        except PackageNotFoundError:  # running from a source tree without install
            typer.echo("upsell-propensity (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    _: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Upsell propensity pipeline."""


for _module in (data_cmds, generate_cmds, features_cmds, model_cmds, playbook_cmds, export_cmds, job_cmds):
    _module.register(app)


def main() -> None:
    """Console entry point: user errors become one message on stderr and exit code 1."""
    try:
        app(standalone_mode=True)
    except UpsellError as exc:  # raised outside typer's own handling (rare)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
