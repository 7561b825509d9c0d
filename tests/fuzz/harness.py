"""Fuzzing qcode's readers: every importer, the codebook, settings, codings and attributes files.

Inputs are valid seed files (made in code or taken from the demo project)
mutated by hypothesis: byte flips, truncation, insertion of random bytes and
of hostile tokens (huge repeat counts, DTDs, deep nesting, control
characters, YAML aliases, NaN), and, for ZIP formats, the same mutations
applied to the XML inside a well-formed archive. For each input:

* only a :class:`~qcode.core.errors.QcodeError` may come out (anything else is
  an uncaught exception), and never because of a ``MemoryError`` (the run is
  under RLIMIT_AS: see :func:`tests.hostile.limited.run_limited`);
* a refused input leaves the project exactly as it was (a dump of the
  database is compared before and after).

Run in the suite at a small budget (tests/fuzz/test_fuzz_inputs.py) and at a
large one by ``python tests/benchmarks/fuzz_inputs.py``. Run as a module it
prints a JSON summary: ``python -m tests.fuzz.harness --examples 20``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import resource
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from qcode.core.errors import QcodeError

REPO = Path(__file__).resolve().parents[2]

HOSTILE = [
    b'<text:s text:c="2000000000"/>', b'<text:s text:c="-5"/>', b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    b"<!ENTITY x SYSTEM \"file:///etc/passwd\">", b"&x;", b"<a>" * 300, b"\x1b]52;c;ZWNobw==\x07", b"\x9b2J",
    b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\r\n\r\n", b"\n\n", b"-->", b"00:00:01,000 --> 00:00:00,000",
    b"99:99:99.999 --> 00:00:01.000", b"&a [*a, *a, *a, *a]", b"[" * 200, b"{" * 200, b"nan", b"1e999",
    b"\\u0000", b"{\\rtf1\\bin999999999 ", b"\\'ff", b"obj << /Length 999999999 >>", b"%%EOF", b"\t",
    b'"""', b"'''", b"= [[[[", b"\xc3\x28", b"\xed\xa0\x80", "ﬁ\u202eé".encode(), b"Amina:", b"**Bob:**",
]


def _seeds() -> dict[str, bytes]:
    from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT
    from tests.formats.fixtures import docx_bytes, minimal_pdf, odt_bytes, p, table

    demo = REPO / "transcripts"

    def demo_file(name: str, limit: int = 4000) -> bytes:
        f = demo / name
        return f.read_bytes()[:limit] if f.is_file() else SMALL_TRANSCRIPT.encode()

    trs = (REPO / "tests" / "formats" / "test_import_trs.py").read_text(encoding="utf-8")
    trs_doc = trs.split('TRS = """', 1)[1].split('"""', 1)[0] if 'TRS = """' in trs else "<Trans/>"
    return {
        ".txt": demo_file("interview-amina.txt"),
        ".md": b"# Interview\n\n**Interviewer:** How is work?\n\n**Amina:** Unstable.\n",
        ".srt": demo_file("entretien-lucie.srt"),
        ".vtt": demo_file("interview-grace.vtt"),
        ".docx": docx_bytes(p("How is work?", "Interviewer: ") + p("Unstable, always.", "Amina: ")
                            + table([["Speaker", "Text"], ["Amina", "per task"], ["Bob", "yes"]])),
        ".odt": odt_bytes('<text:p>Interviewer: How is work?</text:p><text:p>Amina: a<text:s text:c="3"/>b'
                          "<text:tab/>c</text:p>"),
        ".rtf": rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}\f0 Interviewer: How is it?\par Amina: "
                rb"tr\'e8s bien\par}",
        ".pdf": minimal_pdf(["Interviewer: How is work?", "Amina: Unstable."]),
        ".trs": trs_doc.encode("latin-1", "replace"),
        "codebook": SMALL_CODEBOOK.encode(),
        "safezip": docx_bytes(p("x" * 50, "A: ") * 20),
        "safexml": zipfile.ZipFile(io.BytesIO(docx_bytes(p("How is work?", "Interviewer: ")))).read("word/document.xml"),
        "settings": b'[project]\nname = "Study"\nlanguage = "en"\n\n[import]\nmax_mb = 10\n\n[suggest]\nmin_score = 0.5\n',
        "codings.jsonl": b'{"transcript": "interview-01", "start": 0, "end": 11, "code": "pay", "memo": "m"}\n',
        "codings.csv": b"transcript,start,end,code,quote\ninterview-01,0,11,pay,Interviewer\n",
        "attributes.csv": b"transcript,country,age:number\ninterview-01,Kenya,29\n",
        "attributes.yaml": b"transcripts:\n  interview-01: {country: Kenya}\n",
    }


SEEDS: dict[str, bytes] = {}


def seeds() -> dict[str, bytes]:
    if not SEEDS:
        SEEDS.update(_seeds())
    return SEEDS


XML_FRAGMENTS = [
    '<text:s text:c="2000000000"/>', '<text:s text:c="99999999"/>' * 3, "<text:tab/>" * 5000, '<text:s text:c="x"/>',
    "<text:span>" * 400 + "x" + "</text:span>" * 400, "<w:r><w:t>\u0001\u001b]0;t\u0007</w:t></w:r>",
    '<w:r><w:tab/><w:br/><w:t xml:space="preserve">  </w:t></w:r>' * 500, "<w:p>" * 300 + "</w:p>" * 300,
    '<w:ins w:id="1"><w:r><w:t>inserted</w:t></w:r></w:ins><w:del w:id="2"><w:r><w:delText>gone</w:delText></w:r></w:del>',
    '<Turn speaker="spk9" startTime="x" endTime="-1"><Sync time="nan"/>text</Turn>', "&#0;", "&#x1b;", "<!-- -->" * 100,
    '<?pi x?>', "<x:unknown xmlns:x='urn:x'/>", "\ufeff", "<![CDATA[ ]]>" * 10,
]
"""Well-formed XML snippets inserted after a tag, so the mutated part still parses and reaches the walkers."""

KINDS = ["safezip", "safexml", ".txt", ".md", ".srt", ".vtt", ".docx", ".odt", ".rtf", ".pdf", ".trs", "codebook", "settings",
         "codings.jsonl", "codings.csv", "attributes.csv", "attributes.yaml"]


@st.composite
def mutated(draw: Any, data: bytes) -> bytes:
    """*data* after 1-4 random edits."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "hostile", "duplicate", "delete"]))
        at = draw(st.integers(0, max(0, len(out))))
        if op == "flip" and out:
            i = min(at, len(out) - 1)
            out[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del out[at:]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "hostile":
            token = draw(st.sampled_from(HOSTILE)) * draw(st.sampled_from([1, 1, 2, 50]))
            out[at:at] = token
        elif op == "duplicate" and out:
            j = draw(st.integers(at, len(out)))
            out[at:at] = bytes(out[at:j])[:20000]
        elif op == "delete" and out:
            del out[at:at + draw(st.integers(1, 200))]
    return bytes(out)


def with_fragment(xml: bytes, fragment: str, nth: int) -> bytes:
    """*fragment* inserted after the *nth* (modulo) closing '>' of the body (after the first element)."""
    ends = [i + 1 for i, b in enumerate(xml) if b == ord(">")][2:] or [len(xml)]
    at = ends[nth % len(ends)]
    return xml[:at] + fragment.encode() + xml[at:]


def rezip(archive: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(archive))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            body = src.read(name)
            zf.writestr(name, change(body) if name == part else body)
    return buf.getvalue()


XML_PART = {".docx": "word/document.xml", ".odt": "content.xml"}


def corpus(kind: str) -> list[bytes]:
    """Deterministic hostile inputs always fed before the random ones (known attacks stay covered)."""
    seed = seeds()[kind]
    if kind in XML_PART:
        return [rezip(seed, XML_PART[kind], lambda b, f=f, i=i: with_fragment(b, f, 3 + i)) for i, f in enumerate(XML_FRAGMENTS)]
    if kind in (".trs", "safexml"):
        return [with_fragment(seed, f, 5 + i) for i, f in enumerate(XML_FRAGMENTS)]
    return [seed + token * 50 for token in HOSTILE[:8]]


@st.composite
def fuzz_input(draw: Any, kind: str) -> bytes:
    seed = seeds()[kind]
    how = draw(st.sampled_from(["bytes", "xml", "fragment"] if kind in XML_PART or kind in (".trs", "safexml")
                               else ["bytes"]))
    if how == "fragment":
        fragment = draw(st.sampled_from(XML_FRAGMENTS))
        nth = draw(st.integers(0, 1000))
        if kind in (".trs", "safexml"):
            return with_fragment(seed, fragment, nth)
        return rezip(seed, XML_PART[kind], lambda b: with_fragment(b, fragment, nth))
    if how == "xml" and kind in XML_PART:  # a valid archive around a mutated XML part
        edited = draw(mutated(zipfile.ZipFile(io.BytesIO(seed)).read(XML_PART[kind])))
        return rezip(seed, XML_PART[kind], lambda b: edited)
    return draw(mutated(seed))


# ---------------------------------------------------------------- running
class Stats:
    def __init__(self) -> None:
        self.inputs = 0
        self.accepted = 0
        self.refused = 0
        self.failures: list[dict[str, Any]] = []
        self.peak_mb = 0.0
        self.worst: dict[str, Any] = {}
        self.wrapped: dict[str, int] = {}
        """Library exceptions that qcode's import wrapper turned into "could not be read" errors, by type."""


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dump(project: Any) -> str:
    with project.store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        return hashlib.sha256("\n".join(raw.iterdump()).encode()).hexdigest()


def _memory_error(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class Target:
    """Feeds one input of *kind* to qcode, on a scratch project, and checks the rules."""

    def __init__(self, root: Path) -> None:
        from qcode.usecases import importing
        from qcode.usecases.project import Project
        from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT

        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
        (root / "interview-01.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
        self.project = Project.init(root, codebook=root / "codebook.yaml", language="en")
        importing.import_paths(self.project, [root / "interview-01.txt"])
        self.inbox = root / "inbox"
        self.inbox.mkdir()

    def close(self) -> None:
        self.project.close()

    def feed(self, kind: str, data: bytes, stats: Stats) -> None:
        before = _dump(self.project)
        rss0 = _maxrss_mb()
        accepted, error = False, None
        try:
            accepted = self._run(kind, data)
        except QcodeError as exc:
            error = exc
        except BaseException as exc:  # exactly what the fuzzer looks for
            if isinstance(exc, KeyboardInterrupt):
                raise
            stats.failures.append({"kind": kind, "error": f"{type(exc).__name__}: {str(exc)[:200]}",
                                   "trace": traceback.format_exc(limit=6)[-1500:], "input": data[:3000].hex()})
        finally:
            self.project.invalidate(codebook=True)
        stats.inputs += 1
        if error is not None and error.__cause__ is not None and not isinstance(error.__cause__, QcodeError):
            name = type(error.__cause__).__name__
            stats.wrapped[name] = stats.wrapped.get(name, 0) + 1
        if error is not None or not accepted:
            stats.refused += 1
            if error is not None and _memory_error(error):
                stats.failures.append({"kind": kind, "error": "MemoryError under the memory limit",
                                       "input": data[:3000].hex()})
            if _dump(self.project) != before:
                why = error.message[:120] if error is not None else "reported, not committed"
                stats.failures.append({"kind": kind, "error": f"project changed by a refused input ({why})",
                                       "input": data[:3000].hex()})
        else:
            stats.accepted += 1
        rss = _maxrss_mb()
        if rss > stats.peak_mb:
            stats.peak_mb = rss
            if rss > rss0:
                stats.worst = {"kind": kind, "bytes": len(data), "peak_mb": round(rss, 1)}

    def _run(self, kind: str, data: bytes) -> bool:
        from qcode.formats.codebook_yaml import parse_codebook_text
        from qcode.usecases import attributes, codebook, exchange, importing
        from qcode.usecases.settings import load_settings

        p = self.project
        if kind == "safezip":  # the shared readers, called directly (REFI-QDA import uses them too)
            from qcode.formats.safezip import SafeZip

            zf = SafeZip(data, "fuzz.zip", "ZIP")
            for name in zf.names:
                zf.read(name, limit=zf.limits.max_xml)
            return True
        if kind == "safexml":
            from qcode.formats.safexml import parse_xml

            parse_xml(data, "fuzz.xml")
            return True
        if kind.startswith("."):
            f = self.inbox / f"fuzz{kind}"
            f.write_bytes(data)
            r = importing.import_file(p, f, importing.default_options(p, max_bytes=4 * 2**20))
            if r.status == "imported" and r.transcript_id is not None:
                p.store.transcripts.delete(r.transcript_id)
                p.invalidate()
            return True
        if kind == "codebook":
            parse_codebook_text(data.decode("utf-8", "replace"), "fuzz.yaml")
            f = self.inbox / "fuzz.yaml"
            f.write_bytes(data)
            codebook.attach_codebook(p, f, remember=False)
            codebook.attach_codebook(p, self.root / "codebook.yaml", remember=False)  # back to the original
            return True
        if kind == "settings":
            folder = self.inbox / "settings"
            folder.mkdir(exist_ok=True)
            (folder / "qcode.toml").write_bytes(data)
            load_settings(folder)
            return True
        f = self.inbox / f"fuzz-{kind}"
        f.write_bytes(data)
        if kind.startswith("codings"):
            r = exchange.import_codings(p, f)
            if r.committed:
                for c in p.store.codings.list():
                    p.store.codings.delete(c.id)  # back to the empty state for the next input
            return r.committed
        attributes.import_attributes(p, f)
        return True


def _feeder(target: Target, kind: str, stats: Stats) -> Callable[[bytes], None]:
    def one(data: bytes) -> None:
        target.feed(kind, data, stats)

    return one


def run(examples: int, kinds: list[str], seed: int | None = 0) -> dict[str, Any]:
    stats = Stats()
    with tempfile.TemporaryDirectory() as tmp:
        target = Target(Path(tmp) / "project")
        try:
            for kind in kinds:
                for data in corpus(kind):
                    target.feed(kind, data, stats)
                test: Callable[..., None] = given(fuzz_input(kind))(_feeder(target, kind, stats))
                test = settings(
                    max_examples=examples, deadline=None, database=None, derandomize=seed is not None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                )(test)
                test()
        finally:
            target.close()
    return {"inputs": stats.inputs, "corpus": sum(len(corpus(k)) for k in kinds), "accepted": stats.accepted, "refused": stats.refused,
            "kinds": len(kinds), "failures": stats.failures[:20], "failure_count": len(stats.failures),
            "peak_mb": round(stats.peak_mb, 1), "worst": stats.worst, "wrapped": stats.wrapped}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=20, help="inputs per kind")
    ap.add_argument("--kinds", default="all")
    ap.add_argument("--random", action="store_true", help="not derandomized (a new sample each run)")
    a = ap.parse_args(argv)
    kinds = KINDS if a.kinds == "all" else a.kinds.split(",")
    return run(a.examples, kinds, seed=None if a.random else 0)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
