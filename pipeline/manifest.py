"""The run manifest: what a run read, which model and playbook it used, what it wrote.

Everything a run writes can be traced back from here: input fingerprints, row counts, model
name and version, playbook hash, stage timings, output checksums. The run id is derived from the
run's inputs (data fingerprints, as_of, model version, playbook hash), so rerunning the same night
gives the same id and byte-identical outputs. No secret ever goes in: URLs are masked.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s\"']+):(?P<secret>[^\s\"']+)@")


def mask_secrets(text: str) -> str:
    """``postgresql://u:pw@host/db`` → ``postgresql://u:***@host/db`` (anything URL-shaped)."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}:***@", text)


def run_id_for(parts: dict[str, Any]) -> str:
    """A stable id for a run from its inputs: same inputs, same id."""
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def output_checksums(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` by relative path (the manifest itself excluded)."""
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def manifest_json(manifest: dict[str, Any]) -> bytes:
    """Canonical JSON bytes (sorted keys), with any URL-shaped secret masked."""
    return (mask_secrets(json.dumps(manifest, indent=2, sort_keys=True, default=str)) + "\n").encode()
