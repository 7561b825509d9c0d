"""Reading members of untrusted ZIP containers (.docx, .odt) in memory.

A crafted archive must neither write outside a folder nor exhaust memory (zip
slip, zip bombs), so: nothing is extracted to disk; member names are checked
(no absolute paths, ``..``, backslashes, drive letters, NUL, duplicates or
links); the declared uncompressed sizes, the compression ratio and the number
of members are limited *before* reading, and the bytes actually read are
counted too, because headers can lie.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from qcode.core.errors import ImportFormatError


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 10_000
    max_total: int = 512 * 1024 * 1024
    """Sum of uncompressed member sizes that may be read."""
    max_member: int = 256 * 1024 * 1024
    max_ratio: float = 200.0
    """Compression ratio above which a member larger than 1 MiB is refused."""
    max_xml: int = 32 * 1024 * 1024
    """Largest XML part parsed as a whole tree (``read(name, limit=limits.max_xml)``).

    A parsed tree takes about 17 times its XML size in memory (measured: 32 MB of
    WordprocessingML, 545 MB peak), so this bounds memory, not only the ratio:
    a genuine 8.6 MB .docx holding 262 MB of XML is refused with a clear message
    instead of taking 6.8 GB.
    """


DEFAULT_LIMITS = ZipLimits()


def _unsafe_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) > 1 and name[1] == ":":
        return True
    return ".." in PurePosixPath(name).parts


class SafeZip:
    """An opened, checked archive: read only the members you need."""

    def __init__(self, data: bytes, filename: str, kind: str, limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self.filename = filename
        self.kind = kind
        self.limits = limits
        self._read_total = 0
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise ImportFormatError(
                f"{filename}: is not a valid {kind} file (it is not a readable ZIP container: {exc}).",
                hint=f"Open it in its application and save it again as {kind}, or check that the extension is right.",
            ) from exc
        if len(infos) > limits.max_members:
            raise ImportFormatError(f"{filename}: archive has {len(infos)} members (limit {limits.max_members}); refusing it.")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe_name(name):
                raise ImportFormatError(
                    f"{filename}: unsafe path in archive: {name!r}; refusing the file.",
                    hint="A genuine Word/LibreOffice file never contains such paths.",
                )
            if name.casefold() in seen:
                raise ImportFormatError(f"{filename}: archive contains '{name}' twice; refusing an ambiguous archive.")
            seen.add(name.casefold())
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ImportFormatError(f"{filename}: archive member '{name}' is a link; links are not allowed.")
            total += info.file_size
            if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(1, info.compress_size):
                raise ImportFormatError(
                    f"{filename}: member '{name}' expands {info.file_size / max(1, info.compress_size):.0f} times "
                    f"(to {info.file_size / 1e6:.0f} MB); this looks like a ZIP bomb, refusing it.",
                    hint="If the file is genuine, open it in Word/LibreOffice and save it again.",
                )
        if total > limits.max_total:
            raise ImportFormatError(
                f"{filename}: archive expands to {total / 1e6:.0f} MB (limit {limits.max_total / 1e6:.0f} MB); refusing it.",
                hint="This looks like a ZIP bomb, or a document full of media; save a copy without images and retry.",
            )
        self.names = [i.filename for i in infos]

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, *, limit: int | None = None) -> bytes:
        """Read one member, counting the bytes actually produced.

        *limit* (bytes) caps this member further, e.g. ``limits.max_xml`` for
        a part that is parsed into a tree; it is checked against the declared
        size before reading and against the bytes actually produced.
        """
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise ImportFormatError(
                f"{self.filename}: is not a valid {self.kind} file (part '{name}' is missing).",
                hint=f"Open it in its application and save it again as {self.kind}.",
            ) from None
        if limit is not None and info.file_size > limit:
            raise self._too_large(name, info.file_size, limit)
        cap = min(self.limits.max_member, self.limits.max_total - self._read_total)
        if limit is not None and limit < cap:
            cap = limit
        out = io.BytesIO()
        try:
            with self.zf.open(info) as fh:
                while True:
                    chunk = fh.read(1024 * 1024)
                    if not chunk:
                        break
                    out.write(chunk)
                    if out.tell() > cap:
                        if limit is not None and cap == limit:
                            raise self._too_large(name, out.tell(), limit)
                        raise ImportFormatError(
                            f"{self.filename}: part '{name}' expands beyond {cap / 1e6:.0f} MB; refusing it "
                            "(possible ZIP bomb)."
                        )
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, ValueError,
                zlib.error, struct.error) as exc:  # a damaged stream surfaces as any of these
            raise ImportFormatError(
                f"{self.filename}: part '{name}' cannot be read ({exc}); the file is corrupt, encrypted or malicious.",
                hint=f"Open it in its application and save it again as {self.kind}.",
            ) from exc
        self._read_total += out.tell()
        return out.getvalue()

    def _too_large(self, name: str, size: int, limit: int) -> ImportFormatError:
        return ImportFormatError(
            f"{self.filename}: part '{name}' is {size / 1e6:.0f} MB of XML (more than the {limit / 1e6:.0f} MB "
            "qcode reads into memory at once); refusing it rather than exhausting memory.",
            hint="If this really is one transcript, save it as plain text (.txt) and import that, "
            "or split it into several files.",
        )
