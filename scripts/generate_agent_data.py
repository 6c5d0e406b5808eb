"""Training rows for the narrative agent's two model turns (multi-task with the fast-path rows).

    python scripts/generate_agent_data.py --out build/fastpath_data --n-choose 1500 --n-confirm 1500

Appends to <out>/train.jsonl and writes <out>/agent_dev.jsonl (held out; the training script's own dev
evaluation stays on the fast-path format). Rows carry ``prompt_gemma`` built by the very functions the
agent uses at run time (cliniq_agent.agent.turns), so training and inference prompts are identical.

- choose: a mention of a KB concept (a name or synonym in any of five languages, sometimes misspelt,
  truncated or with extra words) in a sentence from templates written here; options are the code index's
  real top hits for that mention (so distractors are realistic); the answer is the letter of the
  concept's code, or N when it is not among them (the index missed it, or the mention is a symptom).
- confirm: a condition mention in an asserted or non-asserted context (negated, ruled out, family member,
  vaccine against it, differential only, past history), answers yes / no.
- organism: an organism or analyte reported positive in lab-result wording ("Stool culture grew {m}",
  "PCR positiva para {m}") — the decision the *_org_* cues of kb/agent/cues.tsv put to the model (measured by
  cliniq_agent/eval/agent_uncertainty.py on the narrative dev split). Organism names come from the RCTC
  "Tests for <organism> ..." value-set names (kb/terminology/rctc_valuesets.tsv) with the condition they trigger,
  plus common non-notifiable organisms (answer N: no reportable condition fits). Options are the condition index's
  real top hits; every row records the top hit's score, so the gate can be measured on the ask band alone.
Nothing here comes from the seed test sets; sentences are templates, names come from kb/.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cliniq_agent.agent.propose import Candidate  # noqa: E402
from cliniq_agent.agent.turns import LETTERS, choose_prompt, confirm_prompt  # noqa: E402
from cliniq_agent.rag import CodeIndex  # noqa: E402
from cliniq_agent.terminology import TerminologyKB  # noqa: E402

CHOOSE_TEMPLATES = {
    "en": ["Assessment: {m}.", "Final diagnosis: {m}, reported to the health department.", "Impression is {m}.",
           "The patient was diagnosed with {m} today.", "Findings are consistent with {m}.",
           "Working diagnosis {m}; treatment started.", "{m} confirmed by the state laboratory.",
           "Lab: {m} came back positive.", "Ordered {m}; result positive.", "Started on {m} this morning."],
    "es": ["Diagnóstico: {m}.", "Impresión diagnóstica: {m}.", "Cuadro compatible con {m}.", "Se confirma {m}."],
    "pt": ["Diagnóstico: {m}.", "Quadro compatível com {m}.", "Hipótese diagnóstica: {m}.", "Confirmado {m}."],
    "fr": ["Diagnostic : {m}.", "Tableau compatible avec {m}.", "Diagnostic retenu : {m}."],
    "vi": ["Chẩn đoán: {m}.", "Chan doan: {m}.", "Kết luận: {m}."],
}
ASSERTED = {
    "en": ["Assessment: {m}.", "Diagnosed with {m} on admission.", "{m} confirmed by PCR.", "Final diagnosis: {m}.",
           "Patient has active {m}.", "Clinical picture and labs consistent with {m}.", "Suspected {m}; isolation started."],
    "es": ["Diagnóstico: {m}.", "Se confirma {m}.", "Paciente con {m} activa."],
    "pt": ["Diagnóstico: {m}.", "Confirmado {m}.", "Paciente com {m}."],
    "fr": ["Diagnostic : {m}.", "{m} confirmée.", "Patient atteint de {m}."],
    "vi": ["Chẩn đoán: {m}.", "Bệnh nhân mắc {m}."],
}
NOT_ASSERTED = {
    "en": ["No evidence of {m}.", "{m} was ruled out.", "Denies any history of {m}.", "Her mother had {m} last year.",
           "Brother recently treated for {m}; patient asymptomatic.", "Received {m} vaccine in 2019.",
           "Differential includes {m}, but testing is negative.", "Consider {m} if fever persists.",
           "History of {m} as a child, fully recovered.", "{m} test negative.", "Exposure to a coworker with {m}.",
           "Return if symptoms of {m} develop."],
    "es": ["Se descarta {m}.", "Sin evidencia de {m}.", "Su madre tuvo {m}.", "Vacuna contra {m} aplicada.",
           "Diagnóstico diferencial: {m}, pendiente de pruebas."],
    "pt": ["Descartado {m}.", "Sem evidência de {m}.", "A mãe teve {m}.", "Vacina contra {m} em dia.",
           "Antecedente de {m} na infância."],
    "fr": ["{m} écartée.", "Pas de signe de {m}.", "Sa mère a eu {m}.", "Vaccin contre {m} à jour."],
    "vi": ["Đã loại trừ {m}.", "Không có {m}.", "Mẹ bệnh nhân bị {m}.", "Đã tiêm vắc xin {m}."],
}
SYMPTOMS = ["fever", "cough", "headache", "rash", "fatigue", "nausea", "sore throat", "diarrhea", "chills", "myalgia"]
RESULT_TEMPLATES = {
    "en": ["Stool culture grew {m}.", "{m} PCR came back positive.", "NP swab positive for {m}.",
           "Blood cultures: {m} isolated.", "{m} detected on the multiplex panel.", "CSF culture grew {m}.",
           "Lab called: {m} antigen positive.", "Sputum culture is growing {m}."],
    "es": ["El cultivo salió positivo para {m}.", "Se aisló {m} en el hemocultivo.", "PCR positiva para {m}.",
           "Coprocultivo con crecimiento de {m}."],
    "pt": ["Cultura positiva para {m}.", "Isolado {m} na hemocultura.", "PCR detectou {m}.",
           "Coprocultura com crescimento de {m}."],
    "fr": ["Culture positive à {m}.", "Isolement de {m} dans les selles.", "PCR positive pour {m}.",
           "Hémoculture : {m} isolé."],
    "vi": ["Cấy máu dương tính với {m}.", "PCR phát hiện {m}.", "Cấy phân dương tính với {m}."],
}
NOT_NOTIFIABLE = ["Escherichia coli", "E. coli", "Staphylococcus epidermidis", "Klebsiella pneumoniae",
                  "Enterococcus faecalis", "Pseudomonas aeruginosa", "rhinovirus", "adenovirus", "parainfluenza virus",
                  "Mycoplasma pneumoniae", "Moraxella catarrhalis", "Candida albicans", "human metapneumovirus",
                  "Proteus mirabilis", "coagulase-negative staphylococci", "Gardnerella vaginalis"]
_TESTS_FOR = re.compile(r"\(Tests for ([A-Z][a-z]+(?: [a-z][a-z.\-]+)?)")
_GENERIC = {"Abnormal", "Alpha", "Arbovirus", "Bacteria", "Tests", "Virus", "Viruses", "Human", "Fungi", "Parasites",
            "California", "Colorado", "Eastern", "Western", "Enteroinvasive", "Cholinesterase", "Carboxyhemoglobin",
            "Arsenic", "Cadmium", "Mercury", "Lead", "Methemoglobin", "Bacillis", "Gamma", "Jamestown", "Japanese",
            "La", "Methicillin", "Non", "Opioids", "Pesticides", "Saint", "Trisomy", "Viral", "West", "Filarial",
            "Ricinine", "Neisseria", "Borrelia"}  # places, chemicals, phrases cut short, RCTC typos, genus-only ambiguity
_NOT_EPITHET = {"by", "in", "for", "and", "or", "of", "with", "except", "non"}


def organisms(kb_dir: Path) -> list[tuple[str, str]]:
    """(organism name, RCTC condition code) from the "Tests for <organism> ..." value-set names."""
    found: dict[str, set[str]] = {}
    with (kb_dir / "terminology" / "rctc_valuesets.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[1] != "Lab Obs Test Name":
                continue
            match = _TESTS_FOR.search(parts[2])
            if not match:
                continue
            words = match.group(1).replace(" species", "").replace(" spp.", "").split()
            if words[0] in _GENERIC or (len(words) == 2 and words[1] in _NOT_EPITHET):
                continue
            found.setdefault(" ".join(words), set()).add(parts[0])
    # an organism whose tests trigger several conditions (Borrelia: Lyme or relapsing fever) has no one answer
    return sorted((name, next(iter(codes))) for name, codes in found.items() if len(codes) == 1)


def organism_surface(rng: random.Random, name: str) -> str:
    """How a note writes the organism: as is, genus abbreviated ("N. meningitidis"), "spp.", lower case."""
    words = name.split()
    roll = rng.random()
    if len(words) == 2 and roll < 0.3:
        return f"{words[0][0]}. {words[1]}"
    if len(words) == 1 and roll < 0.3:
        return f"{name} spp."
    return perturb(rng, name)


def organism_rows(kb_dir: Path, index: CodeIndex, rng: random.Random, n: int) -> list[dict]:
    pool = [(name, code) for name, code in organisms(kb_dir)] + [(name, None) for name in NOT_NOTIFIABLE]
    rows = []
    while len(rows) < n:
        name, code = rng.choice(pool)
        mention = organism_surface(rng, name)
        language = rng.choice(list(RESULT_TEMPLATES))
        sentence = rng.choice(RESULT_TEMPLATES[language]).format(m=mention)
        hits = index.search(mention, system="snomed", k=len(LETTERS))
        if not hits:
            continue
        top_score, top_code = hits[0].score, hits[0].code
        options = hits[: len(LETTERS)]
        rng.shuffle(options)
        codes = [h.code for h in options]
        top_letter = LETTERS[codes.index(top_code)] if top_code in codes else "N"
        answer = LETTERS[codes.index(code)] if code in codes else "N"
        rows.append({"id": f"agent-organism-{len(rows):05d}", "source": "agent-organism", "text": sentence,
                     "target": answer, "top_score": round(top_score, 4), "top_letter": top_letter,
                     "prompt_gemma": choose_prompt(sentence, mention, options), "prompt_smollm2": ""})
    return rows


def perturb(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.15 and len(text) > 6:  # one typo
        i = rng.randrange(1, len(text) - 1)
        return text[:i] + text[i + 1:] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]
    if roll < 0.25:
        return text.lower()
    if roll < 0.35:
        return f"{rng.choice(['acute', 'severe', 'likely', 'probable', 'presumed'])} {text}"
    return text


def mentions(kb: TerminologyKB, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(kind, system, code, surface) for condition names/synonyms, lab and drug names."""
    found = []
    for condition in kb.conditions:
        for synonym in [condition.name, *(s.text for s in condition.synonyms)]:
            found.append(("conditions", "snomed", condition.snomed, synonym))
    for system, kind in (("loinc", "labs"), ("rxnorm", "meds")):
        for concept in kb.concepts(system):
            found.append((kind, system, concept.code, concept.display))
    rng.shuffle(found)
    return found


def choose_rows(kb: TerminologyKB, index: CodeIndex, rng: random.Random, n: int) -> list[dict]:
    rows = []
    pool = mentions(kb, rng)
    for kind, system, code, surface in pool:
        if len(rows) >= n:
            break
        symptom = rng.random() < 0.08
        mention = rng.choice(SYMPTOMS) if symptom else perturb(rng, surface)
        language = rng.choice(list(CHOOSE_TEMPLATES)) if kind == "conditions" else "en"
        sentence = rng.choice(CHOOSE_TEMPLATES[language]).format(m=mention)
        hits = index.search(mention, system=system, k=len(LETTERS))
        if not hits:
            continue
        if not symptom and rng.random() < 0.12:  # teach "none" when the right code is not offered
            hits = [h for h in hits if h.code != code] or hits
        top_score, top_code = hits[0].score, hits[0].code
        options = hits[: len(LETTERS)]
        rng.shuffle(options)
        codes = [h.code for h in options]
        top_letter = LETTERS[codes.index(top_code)] if top_code in codes else "N"
        answer = "N" if symptom or code not in codes else LETTERS[codes.index(code)]
        candidate = Candidate(id=0, kind=kind, phrase=mention, span=(0, len(mention)), sentence=(0, len(sentence)), cue="train")
        rows.append({"id": f"agent-choose-{len(rows):05d}", "source": "agent-choose", "text": sentence,
                     "target": answer, "top_score": round(top_score, 4), "top_letter": top_letter,
                     "prompt_gemma": choose_prompt(sentence, candidate.phrase, options),
                     "prompt_smollm2": ""})
    return rows


def confirm_rows(kb: TerminologyKB, rng: random.Random, n: int) -> list[dict]:
    rows = []
    names = [(c.name, [s for s in c.synonyms]) for c in kb.conditions]
    while len(rows) < n:
        name, synonyms = rng.choice(names)
        language = rng.choice(list(ASSERTED))
        localized = [s.text for s in synonyms if s.lang == language]
        mention = rng.choice(localized) if localized and rng.random() < 0.7 else name
        asserted = rng.random() < 0.45
        sentence = rng.choice((ASSERTED if asserted else NOT_ASSERTED)[language]).format(m=mention)
        sentence = sentence[0].upper() + sentence[1:]
        rows.append({"id": f"agent-confirm-{len(rows):05d}", "source": "agent-confirm", "text": sentence,
                     "target": "yes" if asserted else "no", "prompt_gemma": confirm_prompt(sentence, mention),
                     "prompt_smollm2": ""})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--n-choose", type=int, default=1500)
    parser.add_argument("--n-confirm", type=int, default=1500)
    parser.add_argument("--n-organism", type=int, default=0, help="organism-in-a-result choose rows (0: none)")
    parser.add_argument("--n-dev", type=int, default=200)
    parser.add_argument("--gate-only", action="store_true",
                        help="write only <out>/gate.jsonl: choose and organism rows whose top hit scores in the ask band "
                             "of kb/agent/agent.toml (held-out rows to measure the gate on; use another --seed)")
    parser.add_argument("--agent-only", action="store_true",
                        help="write <out>/train.jsonl with the agent rows only (default: append to the fast-path rows)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kb, index = TerminologyKB.load(), CodeIndex.open()
    choose = choose_rows(kb, index, rng, args.n_choose + args.n_dev)
    if args.gate_only:
        from cliniq_agent.agent.settings import agent_settings  # noqa: PLC0415

        band = agent_settings()
        rows = choose_rows(kb, index, rng, args.n_choose) + organism_rows(
            Path(__file__).resolve().parents[1] / "kb", index, rng, args.n_organism)
        rows = [r for r in rows if band.ask <= r["top_score"] < band.accept]
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gate.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(json.dumps({"gate_rows": len(rows)}))
        return
    confirm = confirm_rows(kb, rng, args.n_confirm + args.n_dev)
    organism = organism_rows(Path(__file__).resolve().parents[1] / "kb", index, rng,
                             args.n_organism + args.n_dev // 2) if args.n_organism else []
    dev = choose[: args.n_dev // 2] + confirm[: args.n_dev // 2] + organism[: args.n_dev // 2]
    train = choose[args.n_dev // 2:] + confirm[args.n_dev // 2:] + organism[args.n_dev // 2:]
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "train.jsonl").open("w" if args.agent_only else "a", encoding="utf-8") as handle:
        for row in train:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (args.out / "agent_dev.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev), encoding="utf-8")
    answers = {}
    for row in train:
        answers[row["target"]] = answers.get(row["target"], 0) + 1
    print(json.dumps({"train_added": len(train), "dev": len(dev), "answers": answers}))


if __name__ == "__main__":
    main()
