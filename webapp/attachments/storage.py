"""Checking and storing uploaded files.

The type is read from the content, never trusted from the name or the browser: a file whose
first bytes are not a PDF, PNG or JPEG is refused, and so is one whose name claims another
type.  Files are stored once per content (content-addressed by SHA-256) under the instance
folder, outside anything the web server serves directly.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from webapp.core.errors_base import UserError
from webapp.core.filestore import mounted, not_mounted
from webapp.core.instance import instance_path

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
)


class AttachmentError(UserError):
    pass


# A file whose content is not one the store takes, said whole: what is taken, what this is not,
# and what to do (the first wording stopped at "这个文件的内容不是", "this file's content is not").
NOT_A_DOCUMENT = (
    "只接受 PDF、JPEG、PNG 文件，而这个文件的内容不是其中任何一种（例如 Word、Excel 文件，或改过扩展名的文件）。"
    "请把它另存为 PDF，或拍照保存为 JPEG，再上传。",
    "Only PDF, JPEG and PNG files are accepted, and this file's content is none of them (a Word or Excel file, say, "
    "or a file renamed). Save it as PDF, or photograph it as JPEG, and upload that.",
)
NOT_AN_IMAGE = (
    "只接受 JPEG、PNG 图片，而这个文件的内容不是图片（例如 PDF 或 Word 文件）。请上传照片，或把它另存为 JPEG、PNG 图片再上传。",
    "Only JPEG and PNG images are accepted, and this file's content is not an image (a PDF or Word file, say). "
    "Upload a photo, or save it as a JPEG or PNG image and upload that.",
)


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    filename: str
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> tuple[str, tuple[str, ...]] | None:
    for magic, content_type, extensions in _SIGNATURES:
        if data.startswith(magic):
            return content_type, extensions
    return None


def clean_name(filename: str) -> str:
    """A display name: the last path part, printable characters only, at most 120 of them."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[-120:] or "file"


def check(data: bytes, filename: str, *, images_only: bool = False, max_bytes: int | None = None) -> CheckedFile:
    """The file if it is what it says it is and within the limits (``max_bytes`` where its kind
    takes less than the usual limit); a bilingual refusal otherwise."""
    if not data:
        raise AttachmentError("文件是空的", "the file is empty")
    limit = MAX_IMAGE_BYTES if images_only else MAX_BYTES
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    if len(data) > limit:
        most = f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KB"
        raise AttachmentError(
            f"文件太大（{len(data) // 1024} KB），最大 {most}",
            f"the file is too large ({len(data) // 1024} KB); at most {most}",
        )
    found = sniff(data)
    if found is None or (images_only and not found[0].startswith("image/")):
        raise AttachmentError(*(NOT_AN_IMAGE if images_only else NOT_A_DOCUMENT))
    content_type, extensions = found
    name = clean_name(filename)
    suffix = os.path.splitext(name)[1].lower()
    if suffix and suffix not in extensions:
        raise AttachmentError(
            f"文件名“{name}”与内容不符：内容是 {content_type}", f"the name '{name}' does not match the content, which is {content_type}"
        )
    if not suffix:
        name += extensions[0]
    return CheckedFile(data, name, content_type, hashlib.sha256(data).hexdigest())


def root() -> Path:
    configured = current_app.config.get("OWNERSVOTE_FILES_PATH")
    if configured:
        return Path(configured)

    return instance_path() / "files"


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return root() / sha256[:2] / sha256


class StoreUnavailable(AttachmentError):
    """The file store refused the write (full, read-only, not mounted): nothing was saved."""


FULL = (
    "文件存储空间已满，文件没有保存，其他内容也没有改变。请联系技术人员腾出空间后重试。",
    "The file store is full: the file was not saved and nothing else was changed. Tell the technicians, then try again once "
    "they have made room.",
)
NOT_MOUNTED = (
    "这台服务器无法访问文件存储（共享文件夹未挂载），文件没有保存，其他内容也没有改变。请稍后重试；如果一再出现，请联系技术人员。",
    "The file store is not reachable from this server (the shared folder is not mounted): the file was not saved and nothing "
    "else was changed. Try again in a moment; if it keeps happening, tell the technicians.",
)
NOT_REACHABLE = (
    "这台服务器暂时无法访问文件存储，文件可能仍在。请稍后再试；如果一再出现，请联系技术人员。",
    "The file store is not reachable from this server; the file may well still be there. Try again in a moment; if it "
    "keeps happening, tell the technicians.",
)
UNAVAILABLE = (
    "文件存储暂时无法写入（{reason}），文件没有保存，其他内容也没有改变。请联系技术人员后重试。",
    "The file store cannot be written to ({reason}): the file was not saved and nothing else was changed. Tell the "
    "technicians, then try again.",
)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def store(checked: CheckedFile) -> Path:
    """Write the bytes once (content-addressed); an existing copy is kept as it is.  The bytes go
    to a temporary file of a name of their own (two servers storing the same file at once do not
    write into one), which is renamed into place only once complete and synced, and removed
    whatever happens.  A store that refuses the write (full, read-only, not mounted) is a
    bilingual :class:`StoreUnavailable`, which rolls back the request that stored it."""
    if not mounted(root()):
        # Written into an unmounted share's empty local folder, the file would be missing for
        # every other server (webapp/core/filestore.py).
        log.error("the file store refused a write of %d bytes: %s", len(checked.data), not_mounted(root()))
        raise StoreUnavailable(*NOT_MOUNTED)
    target = path_for(checked.sha256)
    if target.exists():
        return target
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write(fd, checked.data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError as exc:
        log.error("the file store refused a write of %d bytes to %s: %s", len(checked.data), target.parent, exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreUnavailable(*FULL) from None
        reason = exc.strerror or type(exc).__name__
        raise StoreUnavailable(UNAVAILABLE[0].format(reason=reason), UNAVAILABLE[1].format(reason=reason)) from None
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", temporary, exc_info=True)
    return target


def read(sha256: str) -> bytes:
    """The file's bytes, checked against their SHA-256; :class:`StoreUnavailable` when this server
    cannot see the store (the file may well be there), never "missing"."""
    if not mounted(root()):
        raise StoreUnavailable(*NOT_REACHABLE)
    data = path_for(sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise AttachmentError("存储的文件已损坏或被改动", "the stored file is damaged or was changed")
    return data


def store_bytes(data: bytes) -> str:
    """Keep a file the app generated itself (an audit bundle, a job's result) by its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    store(CheckedFile(data, "generated", "application/octet-stream", digest))
    return digest
