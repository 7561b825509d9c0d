"""Report language: catalogues, locale formatting, and the language carried by DOCX, HTML and XLSX."""

from __future__ import annotations

import re
import string
from pathlib import Path

import docx
import pytest

from qcode.core.errors import ReportError
from qcode.formats.reports.charts import frequency_chart
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.docx_report import write_docx
from qcode.formats.reports.i18n import Messages, catalogue, languages, resolve_language
from qcode.formats.reports.jinja import write_template_report
from tests.core.test_analysis import _data

DATA = _data()
NBSP = ("\u202f", "\u00a0")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_catalogue_has_the_english_keys_and_placeholders() -> None:
    assert {"en", "fr"} <= set(languages())
    en = catalogue("en")
    for lang in languages():
        other = catalogue(lang)
        assert set(other) == set(en), lang
        for key, text in en.items():
            if isinstance(text, dict):
                assert isinstance(other[key], dict) and "other" in other[key], (lang, key)
                assert all(_fields(v) == {"n"} for v in other[key].values()), (lang, key)
            else:
                assert _fields(other[key]) == _fields(text), (lang, key)


def test_numbers_shares_dates_and_plurals_follow_the_locale() -> None:
    fr, en = Messages("fr"), Messages("en")
    assert en.num(12345) == "12,345" and fr.num(12345).replace(NBSP[0], " ").replace(NBSP[1], " ") == "12 345"
    assert en.pct(0.5) == "50%" and re.fullmatch(r"50[\u202f\u00a0]%", fr.pct(0.5))
    assert en.pct(None) == fr.pct(None) == "–"
    assert en.date("2025-03-31") == "31 March 2025" and fr.date("2025-03-31") == "31 mars 2025"
    # French singular covers 0 and 1; English only 1.
    assert fr.count(0, "n_codings") == "0 codage" and en.count(0, "n_codings") == "0 codings"
    assert fr.count(2, "n_codings") == "2 codages" and en.count(1, "n_codings") == "1 coding"


def test_language_choice() -> None:
    assert resolve_language(None, "fr") == "fr"
    assert resolve_language(None, "fr_FR") == "fr"
    assert resolve_language(None, "de") == "en"  # no German catalogue: English, not an error
    assert resolve_language("FR", "en") == "fr"
    with pytest.raises(ReportError, match="No report text in language 'de'") as err:
        resolve_language("de", "en")
    assert "--lang en or --lang fr" in (err.value.hint or "")


def _french(**kw: object):
    return build_report(DATA, ReportOptions(title="Rapport", date="2025-03-31", by=("country",), lang="fr", **kw))


def test_french_word_report_is_french_throughout(tmp_path: Path) -> None:
    report = _french()
    out = tmp_path / "r.docx"
    write_docx(report, out, charts={"frequencies": frequency_chart(report.frequencies, m=report.m)})
    doc = docx.Document(str(out))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["1 Corpus", "2 Résultats par thème", "2.1 Alpha"]
    assert "3 Tableaux et graphiques d’analyse" in headings and "Annexe A. Grille de codage" in headings
    texts = [p.text for p in doc.paragraphs]
    assert "Table des matières" in texts
    assert any(t.startswith("Tableau 1. ") for t in texts) and any(t.startswith("Figure 1. ") for t in texts)
    body = "\n".join(texts)
    for english in ("Contents", "Include:", "Theme frequencies", "Coded interview report", "codings"):
        assert english not in body
    # The document's language: default run language, styles, core property.
    styles = doc.styles.element.xml
    assert 'w:val="fr-FR"' in styles and "en-US" not in styles
    assert doc.core_properties.language == "fr-FR"
    header = _rows_after(doc, "Tableau 3.")[:2]
    assert header == [["Thème", "Codages"] + ["Avec sous-thèmes"] * 4,
                      ["", "", "Codages", "Transcriptions", "Participants", "Mots"]]
    cross = _rows_after(doc, "Tableau 4.")
    assert [c.replace(NBSP[0], " ").replace(NBSP[1], " ") for c in cross[4]] == ["Beta", "1", "100 %", "1", "50 %"]


def _rows_after(doc, caption: str) -> list[list[str]]:
    found = False
    for el in doc.element.body.iterchildren():
        if el.tag.endswith("}p") and "".join(el.itertext()).startswith(caption):
            found = True
        elif found and el.tag.endswith("}tbl"):
            table = next(t for t in doc.tables if t._tbl is el)
            return [[c.text for c in r.cells] for r in table.rows]
    raise AssertionError(caption)


def test_french_html_and_markdown(tmp_path: Path) -> None:
    report = _french()
    write_template_report(report, tmp_path / "r.html", "html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<html lang="fr-FR">' in html and "Table des matières" in html and "Contents" not in html
    write_template_report(report, tmp_path / "r.md", "md")
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## 2 Résultats par thème" in md and "31 mars 2025" in md and "March" not in md


def test_english_word_report_carries_en_gb(tmp_path: Path) -> None:
    report = build_report(DATA, ReportOptions(date="2025-03-31"))
    write_docx(report, tmp_path / "r.docx")
    doc = docx.Document(str(tmp_path / "r.docx"))
    assert doc.core_properties.language == "en-GB" and 'w:val="en-GB"' in doc.styles.element.xml


def _row1(ws) -> list:
    return [c.value for c in ws[1]]


def test_french_spreadsheet_reads_in_french_and_its_csv_keeps_the_field_names(tmp_path: Path) -> None:
    """A person opens the XLSX: its headers, sheets and About sheet are in the report's language. A script reads
    the CSV: its headers are the same field names in every language."""
    import csv

    import openpyxl

    from qcode.formats.reports.tables import FIELDS, write_csv, write_xlsx

    write_xlsx(_french(), tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.properties.language == "fr-FR" and wb.properties.creator == "qcode"
    assert wb.sheetnames == ["Extraits", "Fréquences", "Selon country", "Cooccurrence", "Par transcription",
                             "Grille de codage", "À propos"]
    assert _row1(wb["Extraits"]) == [
        "N° de codage", "Transcription", "Titre de la transcription", "Locuteur", "Participant", "Tour", "Temps",
        "country", "gender", "Thème (niveau 1)", "Thème (niveau 2)", "Identifiant du code", "Texte", "Mémo",
        "Codeur", "Début", "Fin", "Cellules neutralisées",
    ]  # the attributes (country, gender) are the project's own names
    assert _row1(wb["Fréquences"])[:4] == ["Identifiant du code", "Thème", "Niveau", "Codages"]
    assert _row1(wb["Fréquences"])[-2:] == ["Mots avec sous-thèmes", "Cellules neutralisées"]
    assert _row1(wb["Selon country"])[:5] == [
        "Identifiant du code", "Thème", "France : codages", "France : participants (1)", "France : part"]
    assert _row1(wb["Grille de codage"])[:5] == ["Numéro", "Identifiant du code", "Libellé", "Niveau", "Définition"]
    about = {r[0].value: r[1].value for r in wb["À propos"].iter_rows(min_row=1)}
    assert about["Élément"] == "Valeur"
    assert about["Date"] == "31 mars 2025" and about["Projet"] == "demo"
    assert "apostrophe" in about["Cellules formules"] and "« Cellules neutralisées »" in about["Cellules formules"]
    assert "Texte, Texte (2)" in about["Cellules longues"] and "suite dans la colonne suivante" in about["Cellules longues"]
    assert about["Comment lire"].startswith("Cooccurrence : ")  # the last note (one key per row)
    english = set(FIELDS.values()) | {"Quotes", "About", "Frequencies", "Codebook", "key", "value", "Formula cells"}
    for ws in wb.worksheets:
        assert not english & set(_row1(ws)), ws.title
    assert not english & set(wb.sheetnames) - {"Cooccurrence"}  # the same word in both languages

    # The CSV: stable field names, the same as an English report's.
    french = write_csv(_french(), tmp_path / "fr.csv")
    write_csv(build_report(DATA, ReportOptions(date="2025-03-31", by=("country",))), tmp_path / "en.csv")
    assert [p.name for p in french.paths][:3] == ["fr.csv", "fr-frequencies.csv", "fr-by-country.csv"]
    for suffix in ("", "-frequencies", "-by-country", "-codebook"):
        headers = []
        for lang in ("fr", "en"):
            with (tmp_path / f"{lang}{suffix}.csv").open(encoding="utf-8-sig", newline="") as fh:
                headers.append(next(csv.reader(fh)))
        assert headers[0] == headers[1], suffix
    with (tmp_path / "fr.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[:2] == ["coding_id", "transcript"]
    with (tmp_path / "fr-by-country.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[2:5] == ["France: codings", "France: participants (1)", "France: share"]


def test_every_spreadsheet_name_has_a_message_and_the_english_ones_are_the_csv_field_names() -> None:
    from qcode.formats.reports.tables import FIELDS

    en = catalogue("en")
    for key, field in FIELDS.items():
        assert f"x_{key}" in en, key
        if not key.startswith("sheet_"):  # sheet titles are capitalised ("By country"); CSV files are not
            assert en[f"x_{key}"] == field, key
