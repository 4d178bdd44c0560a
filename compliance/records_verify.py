"""Checking a records export (`manage.py records_verify <zip>`) without the database: every file
against the manifest's SHA-256 and the digest the record held when it was issued, nothing in the
archive that the manifest does not list, and the audit chain of the period record by record: its
canonical text hashes to its record hash, names the hash before it, and the seqs run unbroken;
the daily anchors of the period agree with it. Pure: zipfile, hashlib and json only."""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from pathlib import Path

MANIFEST = "manifest.json"
GENESIS = "0" * 64


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def records_verify(path: str | Path) -> list[str]:
    """The problems found in the export at `path`; an empty list when it is intact."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as failure:
        return [f"not a readable zip archive: {failure}"]
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return ["manifest.json is missing"]
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except (ValueError, zipfile.BadZipFile, zlib.error, EOFError) as failure:
            return [f"manifest.json is unreadable: {failure}"]
        listed = {MANIFEST}
        for entry in manifest.get("files", []):
            name = entry["path"]
            listed.add(name)
            if name not in names:
                problems.append(f"{name}: missing from the archive")
                continue
            digest = _read_digest(archive, name, problems)
            if digest is None:
                continue
            if digest != entry["sha256"]:
                problems.append(f"{name}: SHA-256 {digest} differs from the manifest's")
            if entry.get("stored_sha256") and digest != entry["stored_sha256"]:
                problems.append(f"{name}: SHA-256 differs from the one recorded at issue")
        chain = manifest.get("audit_chain")
        if chain:
            listed.add(chain["path"])
            problems += _chain_check(archive, chain, manifest.get("anchors", []))
        for extra in sorted(names - listed):
            problems.append(f"{extra}: in the archive but not in the manifest")
    return problems


def _read_digest(archive: zipfile.ZipFile, name: str, problems: list[str]) -> str | None:
    try:
        return _sha256(archive.read(name))
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as failure:  # CRC, inflate
        problems.append(f"{name}: unreadable ({failure})")
        return None


def _chain_check(archive: zipfile.ZipFile, chain: dict, anchors: list[dict]) -> list[str]:
    problems: list[str] = []
    name = chain["path"]
    if name not in archive.namelist():
        return [f"{name}: missing from the archive"]
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as failure:
        return [f"{name}: unreadable ({failure})"]
    if _sha256(data) != chain["sha256"]:
        problems.append(f"{name}: SHA-256 differs from the manifest's")
    by_seq: dict[int, str] = {}
    previous: tuple[int, str] | None = None
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        try:
            record = json.loads(line)
            canonical = json.loads(record["canonical"])
        except (ValueError, KeyError):
            problems.append(f"{name} line {number}: unreadable")
            continue
        seq, where = record["seq"], f"audit record {record['id']} (seq {record['seq']})"
        if _sha256(record["canonical"].encode()) != record["record_hash"]:
            problems.append(f"{where}: content does not match its hash")
        if canonical[0] != seq or canonical[1] != record["id"]:
            problems.append(f"{where}: place differs from its content")
        if canonical[-1] != record["prev_hash"]:
            problems.append(f"{where}: link differs from its content")
        if previous is not None:
            if seq != previous[0] + 1:
                problems.append(f"{where}: seq {previous[0] + 1} missing before it")
            if record["prev_hash"] != previous[1]:
                problems.append(f"{where}: link does not match the record before it")
        elif seq == 1 and record["prev_hash"] != GENESIS:
            problems.append(f"{where}: the first record does not start the chain")
        previous = (seq, record["record_hash"])
        by_seq[seq] = record["record_hash"]
    if len(by_seq) != chain.get("records", len(by_seq)):
        problems.append(f"{name}: {len(by_seq)} records, the manifest says {chain['records']}")
    for anchor in anchors:
        found = by_seq.get(anchor["seq"])
        if found is not None and found != anchor["head_hash"]:
            problems.append(f"anchor of {anchor['day']} (seq {anchor['seq']}) disagrees")
    return problems
