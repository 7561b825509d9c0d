"""Render a user's report template in a child process with a memory and a time limit.

The Jinja2 sandbox (:mod:`qcode.formats.reports.jinja`) refuses some
obviously huge operations early (``range`` beyond 100,000 items, string or
list repetition, large powers, padding and format widths), but a template
has many other ways to build a huge value: ``s.replace('x', long)``,
``join`` over a repeated list, doubling a string with ``~`` in a loop...
Refusing each one in the sandbox would be a game of whack-a-mole, so on Linux a user's template is rendered in a fresh Python
process (``python -I -S``: nothing inherited but ``sys.path``, qcode's own
folder first, so it runs the same code as the parent) whose address
space is capped with ``RLIMIT_AS`` at what it uses once ready plus
*memory_mb*. Running out raises :class:`MemoryError` in the child only,
which reports it with the template line; the researcher's qcode (the
coding app, the CLI) never feels it. The time limit kills the child.

The report data goes to the child as one :mod:`marshal` blob on stdin
(the template context is plain dicts, lists, strings and numbers), the
rendered text comes back as UTF-8 on stdout. Protocol on stdout: one byte
``R`` once the child is set up (the time limit starts then, so starting
Python does not eat into it), then ``O`` + the text, or ``E`` + a marshal
of ``(kind, message, hint, line)``.

Where ``RLIMIT_AS`` is missing (Windows, macOS ignores it) :func:`available`
is false and the caller renders in-process with the time limit only.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import tempfile
import threading

from qcode.core.errors import ReportError
from qcode.formats.interpreter import child_sys_path

START_LIMIT = 60.0
"""Seconds the child may take to start and read the report data before qcode gives up on it."""
_RESERVE = 4 * 1024 * 1024
"""Bytes the child sets aside at start and frees on MemoryError, so it can still report the error."""
_BOOT = (
    "import sys, marshal\n"
    "payload = marshal.loads(sys.stdin.buffer.read())\n"
    "sys.path[:] = payload[0]\n"
    "from qcode.formats.reports.template_process import child_main\n"
    "child_main(payload)\n"
)


def available() -> bool:
    """Whether a memory limit can be enforced here (Linux, where ``RLIMIT_AS`` is honoured)."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return False
    try:
        import resource

        return hasattr(resource, "RLIMIT_AS")
    except ImportError:  # pragma: no cover - every Linux CPython has it
        return False


def render_in_child(template_text: str, context: dict[str, object], fmt: str, name: str, *,
                    timeout: float | None, memory_mb: float) -> str:
    """Render *template_text* with *context* in a child process; errors become :class:`ReportError`.

    The child may use *memory_mb* megabytes beyond what it holds when ready
    (Python, Jinja2 and the report data) and *timeout* seconds from then on.
    """
    payload = marshal.dumps((child_sys_path(), template_text, context, fmt, name, int(memory_mb * 1024 * 1024)))
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _BOOT], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=errors)
        try:
            out = _exchange(proc, payload, timeout, name)
            code = proc.wait()
        finally:
            if proc.poll() is None:  # timeout, Ctrl-C or an error here: the child must not outlive us
                proc.kill()
                proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace").strip()
    return _result(out, code, stderr, name, memory_mb)



def _exchange(proc: subprocess.Popen[bytes], payload: bytes, timeout: float | None, name: str) -> bytes:
    """Send *payload*, wait for the ready byte, then for the result within *timeout*; kill on timeout."""
    box: dict[str, bytes] = {}
    ready = threading.Event()

    def feed() -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(payload)
            proc.stdin.close()
        except (BrokenPipeError, OSError):  # the child died early; its exit status says why
            pass

    def read() -> None:
        assert proc.stdout is not None
        box["first"] = proc.stdout.read(1)
        ready.set()
        box["rest"] = proc.stdout.read()

    writer = threading.Thread(target=feed, name="qcode-template-feed", daemon=True)
    reader = threading.Thread(target=read, name="qcode-template-read", daemon=True)
    writer.start()
    reader.start()
    if not ready.wait(START_LIMIT):
        raise ReportError(f"Template {name}: the rendering process did not start within {START_LIMIT:g} s.",
                          hint="The computer may be very busy; try again.")
    reader.join(timeout)
    if reader.is_alive():
        proc.kill()
        reader.join()
        raise ReportError(
            f"Template {name} took longer than {timeout:g} s to render; stopped.",
            hint="Check the template for nested loops over large ranges or lists, "
            "or allow more time with --template-timeout SECONDS.",
        )
    writer.join()
    return box["first"] + box["rest"]


def _result(out: bytes, code: int, stderr: str, name: str, memory_mb: float) -> str:
    if out[:2] == b"RO" and code == 0:
        return out[2:].decode("utf-8", "surrogatepass")
    if out[:2] == b"RE":
        kind, message, hint, line = marshal.loads(out[2:])
        if kind == "memory":
            raise memory_error(name, line, memory_mb)
        raise ReportError(message, hint=hint)
    last = stderr.splitlines()[-1] if stderr else f"exit status {code}"
    if "MemoryError" in stderr:
        raise memory_error(name, None, memory_mb)
    raise ReportError(f"Template {name}: the rendering process stopped unexpectedly ({last}).",
                      hint="Please report this as a qcode bug, with the template if you can share it.")


def memory_error(name: str, line: int | None, memory_mb: float) -> ReportError:
    """The error for a template that needed more than *memory_mb* megabytes."""
    at = f" (line {line})" if line else ""
    return ReportError(
        f"Template {name}{at} used more than {memory_mb:g} MB of memory while rendering; stopped.",
        hint="Check the template for loops that build very long text or lists, "
        "or allow more memory with template_memory_mb under [report] in qcode.toml.",
    )


def _virtual_size() -> int:
    """Bytes of address space this process uses now (``/proc/self/statm``, first field, in pages)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def child_main(payload: tuple[list[str], str, dict[str, object], str, str, int]) -> None:
    """The child's side: cap memory, say ready, render, write the result, exit.

    *payload* is what :func:`render_in_child` marshals: the parent's ``sys.path``, the
    template, the context, the format, the template's name and the memory limit in bytes.
    """
    import resource

    from qcode.formats.reports.jinja import _line_of, render_context

    _, template_text, context, fmt, name, limit = payload
    del payload
    out = sys.stdout.buffer
    reserve: bytearray | None = bytearray(_RESERVE)
    cap = _virtual_size() + limit
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out.write(b"R")
    out.flush()
    try:
        text = render_context(template_text, context, fmt, name)
        data = text.encode("utf-8", "surrogatepass")
        del text
    except MemoryError as exc:
        reserve = None
        line = _line_of(exc)
        del exc
        out.write(b"E" + marshal.dumps(("memory", "", "", line)))
    except ReportError as exc:
        out.write(b"E" + marshal.dumps(("error", exc.message, exc.hint, None)))
    else:
        out.write(b"O")
        out.write(data)
    del reserve
    out.flush()
