"""The file storage behind ``file_id``: uploads from users and bot, getFile and downloads.

Bots cache file ids and resend them instead of re-uploading, so the ids must stay valid for
the emulator's lifetime and keep their kind (a photo id cannot be sent as a document).
"""

from __future__ import annotations

import hashlib
import io
import mimetypes

from bot.emulator.errors import WRONG_FILE_ID, bad_request
from bot.emulator.records import StoredFile

_FOLDERS = {"photo": "photos", "document": "documents", "sticker": "stickers", "voice": "voice"}
_EXTENSIONS = {"photo": ".jpg", "sticker": ".webp", "voice": ".oga"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height if ``data`` is an image Pillow can read, else None."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = len(self._by_id) + 1
        digest = hashlib.sha256(data).hexdigest()
        extension = _EXTENSIONS.get(kind) or (file_name and _suffix(file_name)) or ""
        if kind == "document" and mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        size = image_size(data) if kind in ("photo", "sticker") else None
        width, height = size or (0, 0)
        stored = StoredFile(
            # Telegram's ids are opaque; keep kind and a counter in them to ease debugging
            file_id=f"{kind.upper()}-{number:05d}-{digest[:24]}",
            file_unique_id=f"U{digest[:15]}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, kind)}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str, kind: str | None = None) -> StoredFile:
        """The file for ``file_id``, raising Telegram's errors for unknown ids or wrong kinds."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise bad_request(WRONG_FILE_ID)
        if kind is not None and stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


def _suffix(file_name: str) -> str:
    dot = file_name.rfind(".")
    return file_name[dot:] if dot > 0 else ""
