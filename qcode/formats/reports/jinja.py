"""Markdown and HTML reports from Jinja2 templates, user templates in the sandbox.

Every template, shipped or the user's ``--template``, is rendered in
:class:`jinja2.sandbox.ImmutableSandboxedEnvironment` and receives only plain
data (:func:`~qcode.formats.reports.context.to_context`). HTML is auto-escaped,
so a code label or quote like ``<script>`` shows as text. The user's template
is read by qcode and compiled from a string: it cannot include or extend
files. String repetition, powers and output size are capped so a template
cannot exhaust memory through them; Jinja2's sandbox
itself refuses ``range()`` beyond 100,000 items. A user's template has a
wall-clock limit (:data:`TEMPLATE_TIMEOUT`) so a loop that produces nothing
for a very long time cannot hang qcode, and, on Linux, a memory limit
(:data:`TEMPLATE_MEMORY_MB`): it is rendered in a child process whose
address space is capped (:mod:`qcode.formats.reports.template_process`).
The sandbox also refuses padding and format widths beyond
:data:`MAX_REPEAT`, but a template has too many other ways to build a huge
string (``replace``, ``join``, doubling with ``~`` in a loop) to refuse
each one; the memory limit is the real bound.
On Windows and macOS a user's template gets the time limit only. The
shipped templates are trusted and render in-process with neither limit.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qcode.core.errors import ReportError, did_you_mean
from qcode.formats.atomic import atomic_write_text
from qcode.formats.reports.context import to_context
from qcode.formats.reports.data import Report

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment, StrictUndefined
    from jinja2.runtime import Context

TEMPLATES = Path(__file__).parent / "templates"
MAX_REPEAT = 100_000
"""Largest string or list a template may build with ``*``."""
MAX_OUTPUT = 200_000_000
"""Characters; a report larger than this is surely a runaway template."""
TEMPLATE_TIMEOUT = 60.0
"""Seconds a user's template may take to render (the shipped ones take well under a second)."""
TEMPLATE_MEMORY_MB = 1024.0
"""Megabytes a user's template may allocate while rendering, beyond Python and the report data (Linux only)."""
_STOP_GRACE = 2.0
"""Seconds the stopped rendering thread gets to unwind before qcode reports the timeout anyway."""

_MD_INLINE = re.compile(
    r"[\\`*_\[\]|~]"  # emphasis, code, links, table cells, strikethrough, and the backslash itself
    r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"  # only an & that starts an entity
    r"|<(?=[A-Za-z/!?])"  # only a < that could start an HTML tag, comment or autolink
)
_MD_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_MD_LINE_START = re.compile(r"^(?:([#>])|([-+=])(?=[-+= \t]|$)|(\d{1,9})([.)])(?=[ \t]|$))", re.MULTILINE)
"""Headings, block quotes, list items, rules and setext underlines, ordered-list numbers at a line start."""


def md_escape(value: object) -> str:
    """Text shown as itself in Markdown (CommonMark and GitHub's tables and strikethrough).

    Markup characters get a backslash, as Markdown escapes them; ``&`` and
    ``<`` only where they would start an entity or an HTML tag, so
    ``Sara & Mateo`` and ``x < 3`` stay as written. Every line of the value
    is treated as a possible line start, so user text cannot open a heading,
    list, rule or block quote; its indentation, which Markdown does not show
    anyway, is dropped so that it cannot start a code block.
    """
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(), _MD_INDENT.sub("", str(value)))
    return _MD_LINE_START.sub(lambda m: m.group(3) + "\\" + m.group(4) if m.group(3) else "\\" + m.group(), text)


def md_blockquote(value: object) -> str:
    """A Markdown block quote: every line escaped and prefixed with ``> ``."""
    return "\n".join("> " + md_escape(line) if line.strip() else ">" for line in str(value).split("\n"))


def md_cell(value: object) -> str:
    """Text for a Markdown table cell (one line; ``|`` escaped)."""
    return _MD_INLINE.sub(lambda m: "\\" + m.group(), " ".join(str(value).splitlines()))


def md_code(value: object) -> str:
    """A Markdown code span showing *value* verbatim (backslashes are not escapes inside one)."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


def _width_error() -> Exception:
    from jinja2.sandbox import SecurityError

    return SecurityError(f"padding or formatting text wider than {MAX_REPEAT:,} characters")


def _check_ints(values: Iterable[object]) -> None:
    if any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_REPEAT for v in values):
        raise _width_error()


def _check_printf(fmt: str, args: object) -> None:
    """Refuse ``'%999999999s' % x`` (and ``*`` widths taken from large arguments) before Python builds it."""
    stars = False
    for match in _PRINTF.finditer(fmt):
        for group in match.groups():
            if group == "*":
                stars = True
            elif group and int(group) > MAX_REPEAT:
                raise _width_error()
    if stars:
        _check_ints(args if isinstance(args, tuple) else (args,))


def _check_format(fmt: str, args: Sequence[object], kwargs: Mapping[str, object]) -> None:
    """Refuse ``'{:999999999}'.format(x)``; a width given as ``{:{}}`` is checked against the arguments."""
    import string

    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:  # str.format reports the bad format itself
        return
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            _check_ints(list(args) + list(kwargs.values()))
        elif spec:
            _check_ints(int(d) for d in _DIGITS.findall(spec))


def _check_call(obj: object, args: Sequence[object], kwargs: Mapping[str, object]) -> None:
    """Refuse string methods that would build text wider than :data:`MAX_REPEAT` characters."""
    name = getattr(obj, "__name__", "")
    owner = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
    if not isinstance(owner, str):
        return
    if name in _PADDING:
        _check_ints(list(args) + list(kwargs.values()))
    elif name == "format":
        _check_format(owner, args, kwargs)
    elif name == "format_map" and args and isinstance(args[0], Mapping):  # else str.format_map refuses it
        _check_format(owner, (), args[0])


def make_environment(autoescape: bool, loader: BaseLoader | None = None, lang: str = "en") -> Environment:
    """The sandboxed environment every report template runs in (``percent`` and ``thousands`` in *lang*)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    class LimitedEnvironment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%"})

        def call(__self, __context: Context, __obj: object, *args: object, **kwargs: object) -> object:
            _check_call(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
            if operator == "%":
                if isinstance(left, str):
                    _check_printf(left, right)
                return super().call_binop(context, operator, left, right)
            if operator == "**":
                if isinstance(right, int | float) and abs(right) > 100:
                    raise SecurityError("the power is too large (limit 100)")
                return super().call_binop(context, operator, left, right)
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"repeating a string or list beyond {MAX_REPEAT:,} items")
            return super().call_binop(context, operator, left, right)

    env = LimitedEnvironment(
        loader=loader,
        autoescape=autoescape,
        undefined=_undefined_class(),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    from qcode.formats.reports.i18n import Messages

    m = Messages(lang)
    env.filters.update(md=md_escape, blockquote=md_blockquote, cell=md_cell, code=md_code, percent=m.pct,
                       thousands=m.num,
                       center=_guarded(env.filters["center"], lambda value, width=80: _check_ints([width])),
                       indent=_guarded(env.filters["indent"], lambda value, width=4, *a, **k: _check_ints([width])),
                       format=_guarded(env.filters["format"], lambda value, *args, **kw: _check_printf(
                           str(value), args or tuple(kw.values()))))
    return env


@functools.cache
def _undefined_class() -> type[StrictUndefined]:
    """StrictUndefined whose errors remember the value and the name looked up on it.

    Jinja's message for ``{{ t.lable }}`` is "'dict object' has no attribute
    'lable'"; with the value at hand, :func:`_undefined_error` can list its
    fields instead of the template's top-level names.
    """
    from jinja2 import StrictUndefined, TemplateRuntimeError, UndefinedError
    from jinja2.utils import missing

    class Missing(UndefinedError):
        """An undefined name or field, with the value it was looked up on (``missing`` for a top-level name)."""

        def __init__(self, message: str | None = None, obj: object = missing, name: object = None) -> None:
            super().__init__(message)
            self.obj = obj
            self.name = name

    class RememberingUndefined(StrictUndefined):
        __slots__ = ()

        def __init__(self, hint: str | None = None, obj: object = missing, name: str | None = None,
                     exc: type[TemplateRuntimeError] = UndefinedError) -> None:
            if exc is UndefinedError:  # the sandbox passes SecurityError for unsafe attributes: left alone
                # Jinja types `exc` as an exception class but only calls it with the message, so a
                # partial that builds a Missing fits; the stub cannot say "a callable returning one".
                exc = functools.partial(Missing, obj=obj, name=name)  # type: ignore[assignment]
            super().__init__(hint, obj, name, exc)

    return RememberingUndefined


def _undefined_error(exc: Exception, context: Mapping[str, object]) -> tuple[str, str]:
    """(message, hint) for an undefined name: the value's own fields when a field is missing."""
    from jinja2.utils import missing

    obj, name = getattr(exc, "obj", missing), getattr(exc, "name", None)
    message = str(getattr(exc, "message", None) or exc)
    if obj is missing:
        message = _sentence(message) + (did_you_mean(name, list(context)) if isinstance(name, str) else "")
        return message, "Available names: " + ", ".join(sorted(context)) + "."
    if isinstance(obj, dict) and isinstance(name, str):
        keys = [str(k) for k in obj]
        fields = ("Its fields: " + ", ".join(keys[:60]) + (", ..." if len(keys) > 60 else "") + "."
                  if keys else "It has no fields.")
        return (f"this value has no field '{name}'." + did_you_mean(name, keys),
                fields + f" For a field only some values have, write .get('{name}', '').")
    if isinstance(obj, list | tuple) and isinstance(name, str):
        return (f"'{name}' was looked up on a list of {len(obj):,} items, not on one item.",
                "Loop over the list, e.g. {% for item in ... %}{{ item." + name + " }}{% endfor %}.")
    if isinstance(obj, list | tuple):
        return _sentence(message), f"The list has {len(obj):,} items, numbered from 0."
    return _sentence(message), f"This value is a {type(obj).__name__}, not a mapping with fields."


def _sentence(text: object) -> str:
    """*text* ending with exactly one full stop (Jinja's own messages sometimes end with one already)."""
    text = str(text).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


_NOT_ONE_FILE = {"Include": "include", "Import": "import", "FromImport": "from ... import", "Extends": "extends"}


def _check_one_file(env: Environment, template_text: str, where: str) -> None:
    """Refuse include/import/extends with the tag and line: a report template is a single file."""
    from jinja2 import nodes

    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    for node in env.parse(template_text).find_all(kinds):
        tag = _NOT_ONE_FILE[type(node).__name__]
        raise ReportError(
            f"Template {where}{_at(node.lineno)} uses {{% {tag} %}}: a report template must be a single file, "
            "so include, import and extends are not supported.",
            hint="Copy what you need from the other file into this one; {% macro %} and {% set %} work within "
            "one file.",
        )


def _guarded(func: Callable[..., object], check: Callable[..., None]) -> Callable[..., object]:
    """The filter *func*, calling ``check`` with the same arguments first."""
    import functools

    @functools.wraps(func)
    def guarded(*args: object, **kwargs: object) -> object:
        check(*args, **kwargs)
        return func(*args, **kwargs)

    return guarded


def _line_of(exc: BaseException) -> int | None:
    """The template line an exception was raised at (Jinja maps frames to template lines)."""
    line = getattr(exc, "lineno", None)
    if line:
        return int(line)
    tb = exc.__traceback__
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".j2", "<template>")) or name == "<template>":
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def render(template_text: str, report: Report, fmt: str, *, charts: dict[str, bytes] | None = None,
           name: str = "template", timeout: float | None = None, memory_mb: float | None = None) -> str:
    """Render *template_text* (a user's template) in the sandbox; errors become :class:`ReportError`.

    With *memory_mb*, where the platform can enforce it
    (:func:`~qcode.formats.reports.template_process.available`), rendering
    runs in a child process that may allocate that many megabytes and is
    killed after *timeout* seconds. Otherwise, with *timeout*, rendering
    runs in a worker thread that is stopped when the time is up. Either
    way a :class:`ReportError` says which limit was hit.
    """
    context = to_context(report, _data_uris(charts))
    if memory_mb is not None:
        from qcode.formats.reports import template_process

        if template_process.available():
            return template_process.render_in_child(template_text, context, fmt, name, timeout=timeout,
                                                    memory_mb=memory_mb)
    if timeout is None:
        return render_context(template_text, context, fmt, name)
    return _with_time_limit(lambda: render_context(template_text, context, fmt, name), timeout, name)


def render_context(template_text: str, context: dict[str, object], fmt: str, name: str) -> str:
    """Render *template_text* with the plain-data *context* in this process (no time or memory limit)."""
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    env = make_environment(autoescape=fmt == "html", lang=str(context.get("language") or "en"))
    where = name
    try:
        _check_one_file(env, template_text, where)
        template = env.from_string(template_text)
        parts: list[str] = []
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise ReportError(f"Template {where} produced more than {MAX_OUTPUT:,} characters; stopped.",
                                  hint="Check the template for a loop that never ends or repeats too much.")
            parts.append(chunk)
        return "".join(parts)
    except SecurityError as exc:
        line = _line_of(exc)
        raise ReportError(
            f"Template {where}{_at(line)} uses something the sandbox forbids: {_sentence(exc)}",
            hint="Report templates may only read the report data (see the shipped templates in "
            "qcode/formats/reports/templates); attributes starting with '_' and methods that change data are blocked.",
        ) from None
    except TemplateSyntaxError as exc:
        raise ReportError(f"Template {where}{_at(exc.lineno)} has a syntax error: {_sentence(exc.message)}",
                          hint="See the Jinja2 template documentation.") from None
    except UndefinedError as exc:
        message, hint = _undefined_error(exc, context)
        raise ReportError(f"Template {where}{_at(_line_of(exc))}: {message}", hint=hint) from None
    except (TemplateError, TypeError, ValueError, OverflowError, ZeroDivisionError, RecursionError) as exc:
        raise ReportError(f"Template {where}{_at(_line_of(exc))} failed: {type(exc).__name__}: {_sentence(exc)}") from None


class _Stop(BaseException):
    """Raised asynchronously in the rendering thread when its time is up.

    A BaseException, so neither Jinja (which rewrites ``Exception``
    tracebacks) nor the error mapping in :func:`render_context` catches it.
    """


def _with_time_limit(func: Callable[[], str], timeout: float, name: str) -> str:
    """``func()`` in a worker thread; stopped, and a :class:`ReportError`, after *timeout* seconds.

    The stop is an exception raised in the worker at its next Python
    bytecode: template loops are Python code, and every C-level step a
    sandboxed template can take is bounded (repeat, power, range and output
    caps), so the worker unwinds promptly. Should it not within
    ``_STOP_GRACE`` seconds, it is left as a daemon thread and the error is
    reported anyway.
    """
    import ctypes
    import threading

    value = ""
    error: BaseException | None = None
    stopped = False

    def run() -> None:
        nonlocal value, error, stopped
        try:
            try:
                value = func()
            except _Stop:
                stopped = True
            except BaseException as exc:  # handed to the caller's thread below
                error = exc
        except _Stop:  # the stop landed just as func returned
            stopped = True

    def stop(worker: threading.Thread) -> None:
        if worker.ident is not None and worker.is_alive():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_Stop))
            worker.join(_STOP_GRACE)

    worker = threading.Thread(target=run, name="qcode-template", daemon=True)
    worker.start()
    try:
        worker.join(timeout)
    except BaseException:  # Ctrl-C while waiting: stop the template too
        stop(worker)
        raise
    if worker.is_alive():
        stop(worker)
        raise ReportError(
            f"Template {name} took longer than {timeout:g} s to render; stopped.",
            hint="Check the template for nested loops over large ranges or lists, "
            "or allow more time with --template-timeout SECONDS.",
        )
    if error is not None:
        raise error
    if stopped:  # pragma: no cover - only when the stop raced the end of rendering
        raise ReportError(f"Template {name} took longer than {timeout:g} s to render; stopped.")
    return value


def _at(line: int | None) -> str:
    return f" (line {line})" if line else ""


def _data_uris(charts: dict[str, bytes] | None) -> dict[str, str]:
    return {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in (charts or {}).items()}


def builtin_template(fmt: str) -> str:
    """The source of the shipped template for *fmt* (``md`` or ``html``)."""
    return (TEMPLATES / f"report.{fmt}.j2").read_text(encoding="utf-8")


def write_template_report(report: Report, output: Path, fmt: str, *, template_text: str | None = None,
                          charts: dict[str, bytes] | None = None, template_name: str = "the user template",
                          timeout: float | None = TEMPLATE_TIMEOUT,
                          memory_mb: float | None = TEMPLATE_MEMORY_MB) -> None:
    """Render the shipped (or the user's) template and write it atomically.

    A user's template (*template_text*) gets *timeout* seconds and, on
    Linux, *memory_mb* megabytes (see :func:`render`); the shipped templates
    are trusted and have no limit. Nothing is written when rendering fails.
    """
    if fmt not in ("md", "html"):
        raise ValueError(fmt)
    if template_text is None:
        text = render(builtin_template(fmt), report, fmt, charts=charts, name=f"report.{fmt}.j2")
    else:
        text = render(template_text, report, fmt, charts=charts, name=template_name, timeout=timeout,
                      memory_mb=memory_mb)
    atomic_write_text(output, text)


__all__ = ["TEMPLATE_MEMORY_MB", "TEMPLATE_TIMEOUT", "builtin_template", "make_environment", "md_escape", "render",
           "render_context", "write_template_report"]
