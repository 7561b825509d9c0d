"""Convert the datawork survey (shared real data, CC BY 4.0) into a qcode project.

Source: ``../shared/data/real/en/datawork_survey/`` (``codebook.csv`` and
``final_manual_coding_NO_Q13.csv``): answers of 50 data-labelling workers to
questions Q7-Q12, each answer coded by the authors with a domain (theme) and
up to five codes.

Mapping:

* each participant is one transcript (language ``en``); each answer is one
  speaker turn (speaker = participant id), in the order of the file;
* the codebook is a two-level tree: the six domains are top-level themes and
  the codes are their children. A code listed under several domains becomes
  one child per domain (``unclear_processes--transparency-qa``); labels are
  the code names in words, definitions come from the codebook's Definition
  column (subthemes are added to the domain's definition). No keywords: the
  survey's codebook has none, which is the hard case of "label words that
  never appear in the text";
* each answer's codes become codings of the whole turn by coder
  ``datawork-authors``; an answer with a domain but no code is coded with its
  domain.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

CODER = "datawork-authors"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def words(code: str) -> str:
    return code.replace("_", " ").capitalize()


def read_codebook(folder: Path) -> tuple[dict, dict[tuple[str, str], str]]:
    """(codebook YAML data, (domain, code) -> code id)."""
    rows = list(csv.DictReader((folder / "codebook.csv").open(encoding="utf-8")))
    domains: dict[str, dict] = {}
    code_domains: dict[str, set[str]] = {}
    for r in rows:
        code_domains.setdefault(r["Code"].strip(), set()).add(r["Domain"].strip())
    ids: dict[tuple[str, str], str] = {}
    for r in rows:
        dom, sub, code, definition = (r[k].strip() for k in ("Domain", "Subtheme", "Code", "Definition"))
        d = domains.setdefault(dom, {"id": slug(dom), "label": dom, "subthemes": [], "children": {}})
        if sub and sub not in d["subthemes"]:
            d["subthemes"].append(sub)
        cid = code if len(code_domains[code]) == 1 else f"{code}--{slug(dom)}"
        ids[(dom, code)] = cid
        child = d["children"].setdefault(cid, {"id": cid, "label": words(code), "defs": []})
        if definition and definition not in child["defs"]:
            child["defs"].append(definition)
    codes = []
    for d in domains.values():
        codes.append({
            "id": d["id"],
            "label": d["label"],
            "definition": "Subthemes: " + "; ".join(d["subthemes"]) + ".",
            "children": [
                {"id": c["id"], "label": c["label"], "definition": "; ".join(c["defs"])} for c in d["children"].values()
            ],
        })
    data = {"qcode_codebook": 1, "title": "Data labelling worker experiences (datawork survey)", "version": "1",
            "language": ["en"], "codes": codes}
    return data, ids


def build_project(folder: Path, target: Path):
    """Create a qcode project in *target* from the survey in *folder*; returns the open Project."""
    from qcode.core.anchor import make_anchor
    from qcode.core.coding import Coding
    from qcode.core.transcript import Transcript, build_text
    from qcode.usecases.project import Project

    data, ids = read_codebook(folder)
    target.mkdir(parents=True, exist_ok=True)
    (target / "codebook.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    project = Project.init(target, codebook=target / "codebook.yaml", language="en", name="datawork survey")
    answers: dict[str, list[dict]] = {}
    for r in csv.DictReader((folder / "final_manual_coding_NO_Q13.csv").open(encoding="utf-8")):
        answers.setdefault(r["PID"].strip(), []).append(r)
    codings: list[Coding] = []
    with project.store.transaction():
        for pid, rows in answers.items():
            text, turns = build_text([(pid, r["Text"], None, None) for r in rows])
            t = Transcript(name=slug(pid), title=f"Participant {pid}", text=text, turns=turns, language="en", kind="survey")
            tid = project.store.transcripts.add(t)
            kept = [r for r in rows if r["Text"].strip()]
            for r, turn in zip(kept, turns, strict=True):
                dom = r["Domain"].strip()
                cids = [c.strip() for c in r["Codes"].split(";") if c.strip()]
                targets = [ids.get((dom, c)) or next(v for (d2, c2), v in ids.items() if c2 == c) for c in cids]
                if not targets and dom:
                    targets = [slug(dom)]
                a = make_anchor(text, turn.start, turn.end)
                for cid in dict.fromkeys(targets):
                    codings.append(Coding(tid, turn.start, turn.end, cid, CODER, origin="imported",
                                          quote=a.quote, prefix=a.prefix, suffix=a.suffix))
        project.store.codings.add_many(codings)
    project.invalidate()
    return project
