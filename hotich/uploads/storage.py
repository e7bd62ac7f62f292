"""Encrypted blobs on disk: random names, Fernet (AES-128-CBC + HMAC) with a key from the environment.

UPLOAD_DIR must be outside any directory a web server serves (the gateway serves only
bot/web/static). The directory is 0700 and each blob 0600. UPLOAD_KEY may hold several
comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

NAME_RE = re.compile(r"^[0-9a-f]{32}\.bin$")
TMP_SUFFIX = ".tmp"


class StorageError(RuntimeError):
    pass


class NoKey(StorageError):
    """UPLOAD_KEY is not set: the feature is off rather than storing papers unencrypted."""


@dataclass(frozen=True)
class StoredBlob:
    name: str
    sha256: str      # of the plaintext
    size: int        # plaintext bytes


def new_key() -> str:
    """A fresh key for UPLOAD_KEY (`python -c "from hotich.uploads.storage import new_key; print(new_key())"`)."""
    return Fernet.generate_key().decode("ascii")


class BlobStore:
    def __init__(self, root: str | os.PathLike, key: str) -> None:
        self.root = Path(root)
        keys = [k.strip() for k in (key or "").split(",") if k.strip()]
        self._fernet: MultiFernet | None = None
        if not keys:
            return   # no key: nothing can be stored or read, but expired blobs can still be deleted
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, UnicodeEncodeError) as exc:
            raise StorageError("UPLOAD_KEY is not a valid Fernet key") from exc

    def _dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)   # also when it already existed with wider rights
        return self.root

    def _path(self, name: str) -> Path:
        if not NAME_RE.match(name):   # never let a name from the DB walk out of the directory
            raise StorageError("invalid blob name")
        return self.root / name

    @property
    def can_encrypt(self) -> bool:
        return self._fernet is not None

    def _cipher(self) -> MultiFernet:
        if self._fernet is None:
            raise NoKey("UPLOAD_KEY is not set")
        return self._fernet

    def put(self, data: bytes) -> StoredBlob:
        cipher = self._cipher()
        directory = self._dir()
        name = secrets.token_hex(16) + ".bin"
        token = cipher.encrypt(data)
        tmp = directory / (name + TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(token)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, directory / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredBlob(name, hashlib.sha256(data).hexdigest(), len(data))

    def get(self, name: str, sha256: str | None = None) -> bytes:
        cipher = self._cipher()
        try:
            token = self._path(name).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError("blob missing") from exc
        try:
            data = cipher.decrypt(token)
        except InvalidToken as exc:
            raise StorageError("blob cannot be decrypted (wrong UPLOAD_KEY or tampered file)") from exc
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise StorageError("blob does not match its recorded hash")
        return data

    def delete(self, name: str) -> bool:
        """Remove a blob; True if it existed. Idempotent."""
        try:
            self._path(name).unlink()
            return True
        except FileNotFoundError:
            return False

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def names(self) -> list[str]:
        """Every blob (and leftover temp file) on disk, for the orphan sweep."""
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir()
                if NAME_RE.match(p.name) or (p.name.endswith(TMP_SUFFIX) and NAME_RE.match(p.name[:-len(TMP_SUFFIX)]))]

    def age_s(self, name: str, now_ts: float) -> float:
        try:
            return now_ts - (self.root / name).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def remove_any(self, name: str) -> None:
        """Remove a blob or temp file found by `names()`."""
        base = name[:-len(TMP_SUFFIX)] if name.endswith(TMP_SUFFIX) else name
        if not NAME_RE.match(base):
            raise StorageError("invalid blob name")
        (self.root / name).unlink(missing_ok=True)
