"""The agreement section of reports: the latest kept ``qcode agreement`` computation.

The report shows the figures as they were computed and kept (date, coders,
unit, codebook version), not a new computation, so a report can be traced to
the run behind it. ``result`` is the JSON of :mod:`qcode.usecases.agreement`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qcode.formats.reports.i18n import Messages

HEADER = ["code", "label", "percent", "positive", "kappa", "alpha", "alpha_low", "alpha_high", "reading", "codings"]
TITLE = "Appendix: agreement between coders"


def summary(result: dict[str, Any], m: Messages | None = None) -> str:
    """The sentence that says what the figures are, in the report's language (*m*; default English)."""
    m = m or _english()
    cb = result.get("codebook") or {}
    unit = m(f"ag_unit_{result['unit']}") if m.has(f"ag_unit_{result['unit']}") else str(result["unit"])
    if result.get("overlap"):
        unit += m("ag_overlap", share=f"{result['overlap']:.0%}")
    return m("ag_summary", date=str(result.get("computed", ""))[:10], coders=", ".join(result["coders"]),
             transcripts=len(result["transcripts"]), unit=unit, version=cb.get("version") or m("ag_no_version"),
             hash=(cb.get("hash") or "")[:8], resamples=result["resamples"], min_codings=result["min_codings"])


def _english() -> Messages:
    from qcode.formats.reports.i18n import Messages

    return Messages("en")


def _row(code: str, label: str, f: dict[str, Any]) -> list[Any]:
    ci = (f.get("ci") or {}).get("alpha") or [None, None]
    return [code, label, f["percent"], f["positive"], f["kappa"], f["alpha"], ci[0], ci[1], f["reading"], f["codings"]]


def rows(result: dict[str, Any], m: Messages | None = None) -> list[list[Any]]:
    """One row per code, then the overall row (raw numbers; None when undefined or too rare)."""
    out = [_row(c["code"], c["label"], c) for c in result["codes"]]
    n = len(result.get("overall_codes", [c for c in result["codes"] if not c["too_rare"]]))
    out.append(_row("", (m or _english())("ag_overall", n=n), result["overall"]))
    return out


def fmt(value: object, pct: bool = False, m: Messages | None = None) -> str:
    """A figure as text (a share as a percentage with one decimal, else three decimals), in *m*'s locale."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if m is None or m.lang == "en":
            return f"{100 * value:.1f}%" if pct else f"{value:.3f}"
        from babel.numbers import format_decimal, format_percent

        return format_percent(value, format="#,##0.0%", locale=m.locale) if pct else \
            format_decimal(value, format="0.000", locale=m.locale)
    return str(value)


def _two(x: float, m: Messages | None = None) -> str:
    """Two decimals, without a minus sign on a value that rounds to zero ("-0.00")."""
    if m is None or m.lang == "en":
        text = f"{x:.2f}"
    else:
        from babel.numbers import format_decimal

        text = format_decimal(x, format="0.00", locale=m.locale)
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def display_rows(result: dict[str, Any], m: Messages | None = None) -> list[list[str]]:
    """Rows as text: label, agreement %, kappa, alpha, 95% interval, reading."""
    # (a decimal comma needs another separator; no-break spaces keep an interval on one line of its cell)
    sep = ", " if m is None or m.lang == "en" else "\u00a0;\u00a0"
    out = []
    for r in rows(result, m):
        interval = f"[{_two(r[6], m)}{sep}{_two(r[7], m)}]" if r[6] is not None else ""
        out.append([r[1], fmt(r[2], True, m), fmt(r[4], m=m), fmt(r[5], m=m), interval, reading(r[8], m)])
    return out


def reading(value: object, m: Messages | None = None) -> str:
    """A reading (reliable, tentative, not reliable, undefined, too rare) in the report's language."""
    m = m or _english()
    key = "ag_r_" + str(value).replace(" ", "_")
    return m(key) if m.has(key) else str(value)


def display_header(m: Messages | None = None) -> list[str]:
    """The headers of :func:`display_rows`."""
    m = m or _english()
    return [m(k) for k in ("ag_h_code", "ag_h_agreement", "ag_h_kappa", "ag_h_alpha", "ag_h_ci", "ag_h_reading")]
