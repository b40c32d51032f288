"""The server key that signs web links: created on first start, kept 0600.

A key in a file (not in settings) so that a deployment never has to invent one and links
survive restarts; losing the file only invalidates the links out (15 minutes' worth).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import Settings
from handlers.web.links import LinkSigner

KEY_BYTES = 32


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``, created (32 random bytes, mode 0600, its folder 0700) when the
    file does not exist yet; rights widened by someone are narrowed again."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        key = path.read_bytes()
        if len(key) < KEY_BYTES:
            raise ValueError(f"the web link key {path} is too short") from None
        return key
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(KEY_BYTES))
    return path.read_bytes()


def link_signer(settings: Settings) -> LinkSigner:
    """The process's link signer from the settings (key file, public base URL, lifetime)."""
    return LinkSigner(
        load_or_create_key(settings.web_key_file),
        base_url=settings.web_base_url,
        ttl=settings.web_link_ttl,
    )
