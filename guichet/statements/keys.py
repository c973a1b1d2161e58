"""The vendor's Ed25519 statement key: where it comes from, and its public half.

In order: `GUICHET_STATEMENT_KEY` (a PEM PKCS#8 private key, or the raw 32-byte seed in base64),
then the file named by `GUICHET_STATEMENT_KEY_FILE`, then — in development only — the file
`statement_key.pem` under `GUICHET_VAR_DIR`, generated on first use (mode 0600). In production
(`GUICHET_ENV=production`) a missing key is an error: statements are never signed with a key
nobody chose to keep. The public key is published at `/.well-known/guichet-statement-key` and
printed on every statement.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from guichet.sla.statement import key_id, public_key_text

__all__ = ["KeyError_", "private_key", "public_info", "public_key"]

DEV_FILE = "statement_key.pem"


class KeyError_(ImproperlyConfigured):
    """The statement key is missing or unreadable (the message says which setting to fix)."""


def _parse(text: str, where: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_private_key(text.encode("ascii"), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            return key
        raw = base64.b64decode(text, validate=True)
        if len(raw) != 32:
            raise ValueError("an Ed25519 private key has 32 bytes")
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KeyError_(f"{where}: not an Ed25519 private key (PEM, or 32 bytes in base64): {exc}") from exc


def _generate(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with 0600 and never overwritten: two processes racing keep the first key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse(path.read_text(encoding="ascii"), str(path))
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


@functools.cache
def private_key() -> Ed25519PrivateKey:
    """The signing key (cached per process)."""
    inline = getattr(settings, "GUICHET_STATEMENT_KEY", "")
    if inline:
        return _parse(inline, "GUICHET_STATEMENT_KEY")
    named = getattr(settings, "GUICHET_STATEMENT_KEY_FILE", "")
    if named:
        path = Path(named)
        try:
            return _parse(path.read_text(encoding="ascii"), f"GUICHET_STATEMENT_KEY_FILE={path}")
        except OSError as exc:
            raise KeyError_(f"GUICHET_STATEMENT_KEY_FILE={path}: {exc.strerror}") from exc
    if getattr(settings, "PRODUCTION", False):
        raise KeyError_(
            "Statements need the vendor's signing key in production: set GUICHET_STATEMENT_KEY or "
            "GUICHET_STATEMENT_KEY_FILE (docs/statements.md)."
        )
    path = Path(settings.VAR_DIR) / DEV_FILE
    if path.exists():
        return _parse(path.read_text(encoding="ascii"), str(path))
    return _generate(path)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_info() -> dict[str, str]:
    """What the well-known URL publishes."""
    key = public_key()
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return {"algorithm": "Ed25519", "key_id": key_id(key), "public_key": public_key_text(key), "pem": pem}
