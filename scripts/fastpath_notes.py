"""The fast path's synthetic known-format notes: one note and its short-format target per call.

Split from scripts/generate_fastpath_data.py so each file has one job: that script harvests the seed vocabulary and
writes the data set; this one writes a note. The words it draws from are data (fastpath_vocabulary.toml), and every
random choice comes from the caller's ``random.Random``, so a seed gives the same notes.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex

from cliniq_agent.core.schema import CompactRecord, Condition, Lab, Med
from cliniq_agent.fastpath.output_format import to_target
from cliniq_agent.fastpath.prompt import model_input

_WORDS = tomllib.loads((Path(__file__).with_name("fastpath_vocabulary.toml")).read_text(encoding="utf-8"))
LABELS, DEMO_LABELS, MARKERS = _WORDS["labels"], _WORDS["demo_labels"], _WORDS["markers"]
ASSERTED, NOT_ASSERTED = _WORDS["phrasings"]["asserted"], _WORDS["phrasings"]["not_asserted"]
FREE_NOT_ASSERTED, FREE_TEXT = _WORDS["phrasings"]["free_not_asserted"], _WORDS["phrasings"]["free_text"]
IMMUNIZATION_TEXT = _WORDS["phrasings"]["immunization"]
QUAL_RESULTS, CULTURE_RESULTS = _WORDS["results"]["qualitative"], _WORDS["results"]["culture"]
QUANT = [tuple(row) for row in _WORDS["results"]["quant"]]
SPECIMENS, LAB_STATUS, MED_SIGS = _WORDS["results"]["specimens"], _WORDS["results"]["lab_status"], _WORDS["meds"]["sigs"]
FIRST, LAST, CITIES = _WORDS["people"]["first"], _WORDS["people"]["last"], _WORDS["people"]["cities"]
FACILITIES, REASONS = _WORDS["people"]["facilities"], _WORDS["people"]["reasons"]
NON_ASSERTED_SHARE = 0.2  # share of synthetic conditions written as not asserted


@dataclass
class Vocab:
    """(name, code) pairs per list, harvested from the seed TRAIN files; codes failing check_code are dropped."""

    conditions: list[tuple[str, str]] = field(default_factory=list)
    labs: list[tuple[str, str]] = field(default_factory=list)
    meds: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)
    related: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # condition -> lab/med codes
    icd10: list[tuple[str, str]] = field(default_factory=list)


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
