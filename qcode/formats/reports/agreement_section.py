"""The agreement section of reports: the latest kept ``qcode agreement`` computation.

The report shows the figures as they were computed and kept (date, coders,
unit, codebook version), not a new computation, so a report can be traced to
the run behind it. ``result`` is the JSON of :mod:`qcode.usecases.agreement`.
"""

from __future__ import annotations

from typing import Any

HEADER = ["code", "label", "percent", "positive", "kappa", "alpha", "alpha_low", "alpha_high", "reading", "codings"]
TITLE = "Appendix: agreement between coders"


def summary(result: dict[str, Any]) -> str:
    cb = result.get("codebook") or {}
    unit = result["unit"] + (f" (overlap >= {result['overlap']:.0%} of each coding)" if result.get("overlap") else "")
    return (
        f"Computed {str(result.get('computed', ''))[:10]} for {', '.join(result['coders'])} on "
        f"{len(result['transcripts'])} double-coded transcript(s); unit: {unit}; codebook "
        f"{cb.get('version') or '(no version)'} {(cb.get('hash') or '')[:8]}. Krippendorff's alpha (nominal) with a "
        f"95% bootstrap interval ({result['resamples']} resamples); reading: alpha >= .800 reliable, "
        f".667-.800 tentative, below not reliable. Codes with fewer than {result['min_codings']} codings are too rare "
        "to judge."
    )


def _row(code: str, label: str, f: dict[str, Any]) -> list[Any]:
    ci = (f.get("ci") or {}).get("alpha") or [None, None]
    return [code, label, f["percent"], f["positive"], f["kappa"], f["alpha"], ci[0], ci[1], f["reading"], f["codings"]]


def rows(result: dict[str, Any]) -> list[list[Any]]:
    """One row per code, then the overall row (raw numbers; None when undefined or too rare)."""
    out = [_row(c["code"], c["label"], c) for c in result["codes"]]
    out.append(_row("", "overall (codes stacked)", result["overall"]))
    return out


def fmt(value: object, pct: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{100 * value:.1f}%" if pct else f"{value:.3f}"
    return str(value)


def _two(x: float) -> str:
    """Two decimals, without a minus sign on a value that rounds to zero ("-0.00")."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def display_rows(result: dict[str, Any]) -> list[list[str]]:
    """Rows as text: label, agreement %, kappa, alpha, 95% interval, reading."""
    out = []
    for r in rows(result):
        interval = f"[{_two(r[6])}, {_two(r[7])}]" if r[6] is not None else ""
        out.append([r[1], fmt(r[2], True), fmt(r[4]), fmt(r[5]), interval, r[8]])
    return out


DISPLAY_HEADER = ["Code", "Agreement", "Kappa", "Alpha", "95% CI", "Reading"]
