"""Convert a .docx to PDF with LibreOffice, filling the table of contents first.

LibreOffice shows a Word TOC field as it was saved, so a plain
``soffice --convert-to pdf`` prints the contents without page numbers (Word
fills them when it opens the file). This script opens the document through
LibreOffice's UNO bridge, updates every index (the contents get their page
numbers) and all fields, then exports the PDF. It needs the ``uno`` module,
which ships with LibreOffice (Debian: python3-uno, for the system Python):

    /usr/bin/python3 tests/benchmarks/lo_convert.py report.docx report.pdf
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def convert(src: Path, dst: Path, timeout: float = 180.0) -> None:
    import uno
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    def prop(name: str, value: object) -> PropertyValue:
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is not installed")
    pipe = f"qcode_lo_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="qcode-lo-") as profile:
        proc = subprocess.Popen(
            [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation={Path(profile).as_uri()}", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                    break
                except Exception:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.3)
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(src.resolve())), "_blank", 0,
                                               (prop("Hidden", True),))
            doc.getTextFields().refresh()
            indexes = doc.getDocumentIndexes()
            for i in range(indexes.getCount()):
                indexes.getByIndex(i).update()
            doc.getTextFields().refresh()
            doc.storeToURL(uno.systemPathToFileUrl(str(dst.resolve())), (prop("FilterName", "writer_pdf_Export"),))
            doc.close(True)
            try:
                desktop.terminate()
            except Exception:  # the bridge closes as LibreOffice quits
                pass
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
