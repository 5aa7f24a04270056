"""How commands turn user errors into the contract's exit code 1 without a traceback."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from data.errors import UpsellError

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command: ``UpsellError`` → message on stderr, exit 1.

    So is an ``OSError`` naming a file (an --out that is a directory, a parent that is a file, no
    permission, a full disk): the path and the system's reason are what the user needs, not a
    traceback. Nothing was published: every output is written to a temporary path first.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UpsellError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from None
        except OSError as exc:
            if exc.filename is None:
                raise
            typer.echo(f"error: {file_problem(exc)}", err=True)
            raise typer.Exit(code=1) from None

    return wrapper


def file_problem(exc: OSError) -> str:
    """``exc`` as one line: the user's path and the system's reason. A rename names its target
    (the temporary source is ours); creating a directory where a file is says so."""
    where = exc.filename if exc.filename2 is None else exc.filename2
    if isinstance(exc, FileExistsError):
        reason = "exists and is not a directory"
    elif isinstance(exc, IsADirectoryError):
        reason = "is a directory; give a file path"
    else:
        reason = exc.strerror or type(exc).__name__
    return f"{where}: {reason}"
