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
Nothing here comes from the seed test sets; sentences are templates, names come from kb/.
"""

from __future__ import annotations

import argparse
import json
import random
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
        options = hits[: len(LETTERS)]
        rng.shuffle(options)
        codes = [h.code for h in options]
        answer = "N" if symptom or code not in codes else LETTERS[codes.index(code)]
        candidate = Candidate(id=0, kind=kind, phrase=mention, span=(0, len(mention)), sentence=(0, len(sentence)), cue="train")
        rows.append({"id": f"agent-choose-{len(rows):05d}", "source": "agent-choose", "text": sentence,
                     "target": answer, "prompt_gemma": choose_prompt(sentence, candidate.phrase, options),
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
    parser.add_argument("--n-dev", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kb, index = TerminologyKB.load(), CodeIndex.open()
    choose = choose_rows(kb, index, rng, args.n_choose + args.n_dev)
    confirm = confirm_rows(kb, rng, args.n_confirm + args.n_dev)
    dev = choose[: args.n_dev // 2] + confirm[: args.n_dev // 2]
    train = choose[args.n_dev // 2:] + confirm[args.n_dev // 2:]
    with (args.out / "train.jsonl").open("a", encoding="utf-8") as handle:
        for row in train:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (args.out / "agent_dev.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev), encoding="utf-8")
    answers = {}
    for row in train:
        answers[row["target"]] = answers.get(row["target"], 0) + 1
    print(json.dumps({"train_added": len(train), "dev": len(dev), "answers": answers}))


if __name__ == "__main__":
    main()
