"""Index files are data, not code: Whoosh's pickled files are opened only under a valid signature.

The indexer writes `signature.json` beside a signed folder: the SHA-256 of every file and an
HMAC-SHA256 of that list under a key that lives outside every index folder
($REPORT_SEARCH_KEY_FILE, else $XDG_CONFIG_HOME/report-search/index.key, else
~/.config/report-search/index.key; created with mode 0600 on first use). An index folder copied from
elsewhere, or edited by hand, fails the check with a message instead of being unpickled; a user who
trusts it runs `report-search sign --index DIR`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

SIGNATURE_FILE = "signature.json"


class UntrustedIndex(RuntimeError):
    """The signature is missing or wrong: the files were not written by this machine's indexer."""


def key_path() -> Path:
    """Where the signing key lives."""
    explicit = os.environ.get("REPORT_SEARCH_KEY_FILE")
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "report-search" / "index.key"


def _key() -> bytes:
    path = key_path()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _digests(folder: Path) -> dict[str, str]:
    out = {}
    for item in sorted(folder.iterdir()):
        if item.is_file() and not item.name.endswith(".lock"):
            h = hashlib.sha256()
            with open(item, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[item.name] = h.hexdigest()
    return out


def _mac(files: dict[str, str]) -> str:
    listing = json.dumps(files, sort_keys=True).encode("utf-8")
    return hmac.new(_key(), listing, hashlib.sha256).hexdigest()


def sign(generation: Path, sub: str) -> None:
    """Sign the files of `generation/sub`."""
    # The signature itself is not a signed file (verify leaves it out too), and it is replaced, not
    # written through: an incremental build hard-links the base generation's files, this one included.
    files = {k: v for k, v in _digests(generation / sub).items() if k != SIGNATURE_FILE}
    target = generation / sub / SIGNATURE_FILE
    tmp = target.with_name(SIGNATURE_FILE + ".tmp")
    tmp.write_text(json.dumps({"files": files, "hmac": _mac(files)}, indent=1), encoding="utf-8")
    os.replace(tmp, target)


def verify(generation: Path, sub: str) -> None:
    """Raise UntrustedIndex unless `generation/sub` holds exactly the signed files."""
    folder = generation / sub
    try:
        signed = json.loads((folder / SIGNATURE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UntrustedIndex(f"索引 {generation} 没有本机的签名，未打开（如确信它可靠，请运行 report-search sign --index …）") from None
    files = {k: v for k, v in _digests(folder).items() if k != SIGNATURE_FILE}
    if files != signed.get("files") or not hmac.compare_digest(_mac(files), str(signed.get("hmac", ""))):
        raise UntrustedIndex(f"索引 {generation} 的签名不符（文件被改动或来自别处），未打开（如确信它可靠，请运行 report-search sign --index …）")
