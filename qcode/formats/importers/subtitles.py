"""Subtitles and meeting transcripts: WebVTT (``.vtt``) and SubRip (``.srt``).

Parsing is done by webvtt-py and srt. Speakers come from WebVTT voice tags
(``<v Name>``) or from "Name: text" cues (Zoom, Teams, transcription
services). Consecutive cues of one speaker become one turn whose times are
the first cue's start and the last cue's end. Styling tags (``<i>``,
``<c.yellow>``, ``{\\an8}``, karaoke timestamps) are removed; the words are
kept exactly.

webvtt-py skips a cue whose timing line is malformed without saying so; qcode
checks every ``-->`` line itself first and refuses the file naming the line,
so no cue is lost silently. Timestamps going backwards
give a warning naming the cue.
"""

from __future__ import annotations

import re
from typing import Any

from qcode.core.errors import ImportFormatError
from qcode.core.text import normalize_text
from qcode.core.transcript import Transcript
from qcode.formats.encoding import Decoded, decode_bytes
from qcode.formats.importers.base import ImportOptions, RawTurn, check_size, finish, register
from qcode.formats.importers.plain_text import encoding_warning
from qcode.formats.importers.speakers import Para, detect_turns

_TAGS = re.compile(r"</?(?:[a-z]+)(?:[.\w-]*)(?:\s[^>]*)?>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>|\{\\[^}]*\}", re.I)
_VTT_TIMING = re.compile(
    r"^\s*(?:\d+:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}[.,]\d{3}(?:\s+.*)?$"
)


def _strip_tags(text: str) -> str:
    return _TAGS.sub("", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u00a0")


def _merge(turns: list[RawTurn], max_gap: float = 2.0) -> list[RawTurn]:
    """Join consecutive cues of the same speaker (unlabelled cues: while pauses are short)."""
    out: list[RawTurn] = []
    for sp, text, t0, t1 in turns:
        if out:
            psp, ptext, pt0, pt1 = out[-1]
            close = psp is not None or (pt1 is not None and t0 is not None and t0 - pt1 < max_gap)
            if psp == sp and close and len(ptext) < 20_000:
                out[-1] = (psp, f"{ptext} {text.strip()}", pt0, t1 if t1 is not None else pt1)
                continue
        out.append((sp, text.strip(), t0, t1))
    return out


def _check_monotonic(times: list[float], filename: str) -> list[str]:
    for i in range(1, len(times)):
        if times[i] < times[i - 1]:
            return [f"cue {i + 1} starts before cue {i} (timestamps go backwards); the cues were kept in file order"]
    return []


def _cues_to_transcript(
    paras: list[Para], decoded: Decoded, data: bytes, filename: str, options: ImportOptions, fmt: str
) -> Transcript:
    """Shared by .vtt and .srt: cue paragraphs -> turns (one speaker's consecutive cues merged)."""
    warnings = encoding_warning(decoded.label, decoded.guessed)
    warnings += _check_monotonic([p.time or 0.0 for p in paras], filename)
    turns = _merge(detect_turns(paras, options.speaker_pattern, joiner=" ").turns)
    return finish(turns, data, filename, options, fmt, encoding=decoded.encoding,
                  guessed=decoded.guessed, warnings=warnings)


class VttImporter:
    format = "vtt"
    extensions = (".vtt",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        import webvtt
        from webvtt.errors import MalformedCaptionError, MalformedFileError

        check_size(data, filename, options)
        decoded = decode_bytes(data, filename, options.encoding)
        text = normalize_text(decoded.text)
        timing_lines = 0
        for n, line in enumerate(text.split("\n"), start=1):
            if "-->" in line:
                if not _VTT_TIMING.match(line):
                    raise ImportFormatError(
                        f"{filename}, line {n}: malformed cue timing {line.strip()!r}.",
                        hint="Cue timings look like '00:01:02.500 --> 00:01:05.000'. Fix that line and import again.",
                    )
                timing_lines += 1
        try:
            captions = list(webvtt.from_string(text).captions)
        except (MalformedFileError, MalformedCaptionError) as exc:
            raise ImportFormatError(
                f"{filename}: not a valid WebVTT file ({exc}).",
                hint="A WebVTT file starts with the line 'WEBVTT'. Is it an .srt file with the wrong extension?",
            ) from exc
        if len(captions) != timing_lines:
            raise ImportFormatError(
                f"{filename}: {timing_lines} cue timings but only {len(captions)} cues could be read.",
                hint="A cue is probably missing its blank line separator; check the file around the first lost cue.",
            )
        paras: list[Para] = []
        for c in captions:
            body = _strip_tags(c.raw_text)
            voice = getattr(c, "voice", None)
            paras.append(Para(body, speaker=voice, time=c.start_in_seconds + _ms(c.start),
                              time_end=c.end_in_seconds + _ms(c.end), explicit=bool(voice)))
        return _cues_to_transcript(paras, decoded, data, filename, options, self.format)


def _ms(stamp: str) -> float:
    """webvtt-py's *_in_seconds drop milliseconds; add them back from the stamp."""
    m = re.search(r"[.,](\d{3})$", stamp)
    return int(m.group(1)) / 1000 if m else 0.0


class SrtImporter:
    format = "srt"
    extensions = (".srt",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        import srt

        check_size(data, filename, options)
        decoded = decode_bytes(data, filename, options.encoding)
        text = normalize_text(decoded.text)
        try:
            subs = list(srt.parse(text))
        except srt.SRTParseError as exc:
            line = text.count("\n", 0, exc.expected_start) + 1
            raise ImportFormatError(
                f"{filename}, line {line}: not valid SubRip; unexpected text {exc.unmatched_content[:60]!r}.",
                hint="Each cue is: a number, a line '00:00:01,000 --> 00:00:04,000', the text, then a blank line.",
            ) from exc
        if not subs and text.strip():
            raise ImportFormatError(f"{filename}: no SubRip cues found.", hint="Is this really an .srt file?")
        paras, stray = _srt_paras(subs, text)
        transcript = _cues_to_transcript(paras, decoded, data, filename, options, self.format)
        for line, cue in stray[:5]:
            transcript.warnings.append(
                f"line {line}: a block without a cue number and timing followed cue {cue}; it was kept as a "
                "separate passage (timed at the end of that cue), not merged into it. Check the file there"
            )
        if len(stray) > 5:
            transcript.warnings.append(f"{len(stray) - 5} more blocks without cue number and timing")
        return transcript


_BLANK = re.compile(r"\n[ \t]*\n")


def _srt_paras(subs: list[Any], text: str) -> tuple[list[Para], list[tuple[int, int]]]:
    """Cue paragraphs; a blank line inside a cue's content means the srt library joined a malformed
    block (no number, no timing) to it: that block becomes its own paragraph, and is reported."""
    paras: list[Para] = []
    stray: list[tuple[int, int]] = []
    pos = 0
    for s in subs:
        start, end = s.start.total_seconds(), s.end.total_seconds()
        chunks = _BLANK.split(s.content)
        paras.append(Para(_strip_tags(chunks[0]), time=start, time_end=end))
        pos = max(pos, text.find(chunks[0], pos))
        for chunk in chunks[1:]:
            if not chunk.strip():
                continue
            at = text.find(chunk, pos)
            if at != -1:
                pos = at
            stray.append((text.count("\n", 0, max(at, 0)) + 1, s.index))
            paras.append(Para(_strip_tags(chunk), time=end, time_end=end))
    return paras, stray


register(".vtt")(VttImporter)
register(".srt")(SrtImporter)
