"""A systematic narrative trap probe: short one-idea notes generated per notifiable condition × language ×
construction, like the eICR probe (cliniq_agent.eval.eicr_probe) does for CDA encodings.

Hand-written trap notes find vocabulary gaps one sentence at a time; this generator crosses every condition's
names, usual tests, vaccines and prophylaxis drugs (cliniq_agent.eval.narrative_conditions, written from
clinical usage, not from kb/) with suspicion / exclusion / result / administration wording in en/es/pt/fr/vi:

- ``excluded``: a suspected condition ruled out by its negative test(s), a non-notifiable final diagnosis → nothing;
- ``confirmed``: the same suspicion with a positive test and a confirmation → the condition (positive control);
- ``vaccination``: a vaccine / immune globulin / antitoxin given, no symptoms → nothing;
- ``prophylaxis``: post-exposure prophylaxis or chemoprophylaxis for the condition → nothing;
- ``immune``: immunity by vaccination shown by serology → nothing;
- ``excluded_contrast``: the clinician's own thought or worry, a contrast word, a test that came back negative, and
  what it was instead, in one or two sentences ("Nos preocupaba X; sin embargo …") → nothing;
- ``historical`` (a past episode, dated and resolved), ``exposure`` (another person's disease) and ``hearsay`` (a lay
  guess read online or heard from a friend) → nothing.

Everything is deterministic: each (condition, language) rotates through the templates and result words by index.
"""

from __future__ import annotations

from dataclasses import dataclass

from cliniq_agent.eval.narrative_conditions import ALTERNATIVES, CONDITIONS, LANGS, Condition

NEG = {"en": "negative|neg|not detected|nonreactive|non-reactive|undetectable|(-)|negative x2",
       "es": "negativo|negativa|no detectado|no reactivo|no reactiva|(-)|no detectable|negativos",
       "pt": "negativo|negativa|não detectado|não reagente|não reativo|(-)|indetectável|negativos",
       "fr": "négatif|négative|non détecté|non réactif|indétectable|(-)|négatifs|revenu négatif",
       "vi": "âm tính|không phát hiện|không phản ứng|(-)|(âm tính)|âm tính (-)"}
POS = {"en": "positive|detected|reactive|(+)|POSITIVE",
       "es": "positivo|positiva|detectado|reactivo|(+)",
       "pt": "positivo|reagente|detectado|(+)|positiva",
       "fr": "positif|positive|détecté|(+)|revenu positif",
       "vi": "dương tính|phát hiện|(+)|dương tính (+)"}
DOSE = {"en": "dose {n}", "es": "{n}ª dosis", "pt": "{n}ª dose", "fr": "{n}e dose", "vi": "mũi {n}"}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "excluded": {
        "en": ("Suspected {dis} ruled out: {t1} and {t2} {neg}. Final diagnosis: {alt}.",
               "Concern for {dis}; {t1} {neg}. Dx: {alt}.",
               "r/o {dis} - {t1} {neg}, {t2} {neg2}. Impression: {alt}.",
               "DDx included {dis}, but {t1} {neg}; discharged with {alt}.",
               "Initially thought it was {dis}. {t1}: {neg}. This is {alt}.",
               "{dis} excluded ({t1} {neg}). Assessment: {alt}.",
               "Workup for possible {dis}: {t1} {neg}, {t2} {neg2}. Final dx: {alt}.",
               "Not {dis} - {t1} {neg}. Dx {alt}."),
        "es": ("Sospecha de {dis} descartada: {t1} y {t2} {neg}. Diagnóstico final: {alt}.",
               "Se descartó {dis} ({t1} {neg}). Dx: {alt}.",
               "Se sospechó {dis}; {t1} {neg}. Impresión diagnóstica: {alt}.",
               "Inicialmente se pensó en {dis}, pero {t1} resultó {neg}; se concluye {alt}.",
               "Diagnóstico diferencial con {dis}: {t1} {neg}, {t2} {neg2}. Diagnóstico: {alt}.",
               "Descartado {dis}: {t1} {neg}. Cuadro compatible con {alt}."),
        "pt": ("Suspeita de {dis} afastada: {t1} e {t2} {neg}. Diagnóstico final: {alt}.",
               "Afastado {dis} ({t1} {neg}). HD: {alt}.",
               "Hipótese de {dis} descartada após {t1} {neg}. Diagnóstico: {alt}.",
               "Aventada a possibilidade de {dis}; {t1} {neg}, {t2} {neg2}. Conclusão: {alt}.",
               "Inicialmente pensado em {dis}, porém {t1} veio {neg}; quadro de {alt}.",
               "Excluído {dis}: {t1} {neg}. Dx: {alt}."),
        "fr": ("Suspicion de {dis} écartée : {t1} et {t2} {neg}. Diagnostic final : {alt}.",
               "Hypothèse de {dis} éliminée ({t1} {neg}). Diagnostic retenu : {alt}.",
               "{dis} évoquée, mais {t1} {neg}. Conclusion : {alt}.",
               "Diagnostic différentiel : {dis}, exclu ({t1} {neg}, {t2} {neg2}). Retenu : {alt}.",
               "Initialement suspicion de {dis}, {t1} {neg} ; au total {alt}.",
               "Pas de {dis} : {t1} {neg}. Diagnostic : {alt}."),
        "vi": ("Nghi {dis}, đã loại trừ: {t1} và {t2} {neg}. Chẩn đoán xác định: {alt}.",
               "Loại trừ {dis} ({t1} {neg}). Chẩn đoán: {alt}.",
               "Nghi ngờ {dis}; {t1} {neg}. Chẩn đoán cuối cùng: {alt}.",
               "Chẩn đoán phân biệt với {dis}: {t1} {neg}, {t2} {neg2}. Kết luận: {alt}.",
               "Theo dõi {dis}, {t1} {neg} nên loại trừ. Chẩn đoán ra viện: {alt}.",
               "Không phải {dis}: {t1} {neg}. Chẩn đoán: {alt}."),
    },
    "confirmed": {
        "en": ("Suspected {dis}: {t1} {pos}. Diagnosis confirmed.", "R/o {dis} - {t1} {pos}. Dx: {dis}, confirmed."),
        "es": ("Sospecha de {dis}: {t1} {pos}, se confirma el diagnóstico.",
               "Se sospechó {dis} y {t1} resultó {pos}. Diagnóstico confirmado: {dis}."),
        "pt": ("Suspeita de {dis}: {t1} {pos}, diagnóstico confirmado.",
               "Hipótese de {dis}; {t1} {pos}. Diagnóstico confirmado: {dis}."),
        "fr": ("Suspicion de {dis} : {t1} {pos}, diagnostic confirmé.",
               "{dis} évoquée ; {t1} {pos}. Diagnostic confirmé : {dis}."),
        "vi": ("Nghi {dis}: {t1} {pos}, xác định chẩn đoán.", "Nghi ngờ {dis}; {t1} {pos}. Chẩn đoán xác định: {dis}."),
    },
    "vaccination": {
        "en": ("{vac} given today. No symptoms.", "Received {vac} ({dose}) after exposure to {dis}; asymptomatic.",
               "Immunizations: {vac} administered L deltoid, {dose}. Tolerated well.",
               "Here for {dis} vaccine series: {vac} {dose} given."),
        "es": ("Se aplicó {vac} hoy. Sin síntomas.", "Recibió {vac} ({dose}) tras exposición a {dis}; asintomático.",
               "Vacunación: {vac}, {dose}, administrada sin incidencias.",
               "Acude para completar esquema contra {dis}: se aplica {vac}, {dose}."),
        "pt": ("Aplicada {vac} hoje. Assintomático.", "Recebeu {vac} ({dose}) após exposição a {dis}; sem sintomas.",
               "Vacinação: {vac}, {dose}, administrada sem intercorrências.",
               "Comparece para esquema vacinal contra {dis}: aplicada {vac}, {dose}."),
        "fr": ("{vac} administré ce jour. Pas de symptômes.",
               "A reçu {vac} ({dose}) après un contact avec un cas de {dis} ; asymptomatique.",
               "Vaccination : {vac}, {dose}, injection bien tolérée.",
               "Consultation pour vaccination contre {dis} : {vac}, {dose}, fait ce jour."),
        "vi": ("Đã tiêm {vac} hôm nay. Không triệu chứng.",
               "Tiêm {vac} ({dose}) sau khi tiếp xúc với người bệnh {dis}; không triệu chứng.",
               "Tiêm chủng: {vac}, {dose}, không phản ứng sau tiêm.", "Đến tiêm phòng {dis}: {vac}, {dose}."),
    },
    "prophylaxis": {
        "en": ("Close contact of a {dis} case; {pep} given as prophylaxis. No symptoms.",
               "Post-exposure prophylaxis for {dis}: {pep}. Asymptomatic, exam normal.",
               "Travel clinic: {pep} prescribed as {dis} prophylaxis."),
        "es": ("Contacto estrecho de un caso de {dis}; se indicó profilaxis con {pep}. Asintomático.",
               "Profilaxis post-exposición para {dis}: {pep}. Sin síntomas."),
        "pt": ("Contato próximo de caso de {dis}; profilaxia com {pep}. Assintomático.",
               "Profilaxia pós-exposição para {dis}: {pep}. Sem sintomas."),
        "fr": ("Contact étroit d'un cas de {dis} ; prophylaxie par {pep}. Asymptomatique.",
               "Prophylaxie post-exposition ({dis}) : {pep}. Pas de symptômes."),
        "vi": ("Tiếp xúc gần với ca bệnh {dis}; điều trị dự phòng bằng {pep}. Không triệu chứng.",
               "Dự phòng sau phơi nhiễm {dis}: {pep}. Không có triệu chứng."),
    },
    "immune": {
        "en": ("Immune by vaccination: {m} {pos}{ag}.", "{m} {pos} - immune (vaccinated){ag}."),
        "es": ("Inmune por vacunación: {m} {pos}{ag}.", "{m} {pos}, inmunidad por vacuna{ag}."),
        "pt": ("Imune por vacinação: {m} {pos}{ag}.", "{m} {pos}: imunidade vacinal{ag}."),
        "fr": ("Immunisé par la vaccination : {m} {pos}{ag}.", "{m} {pos} (immunité post-vaccinale){ag}."),
        "vi": ("Có miễn dịch do tiêm vắc xin: {m} {pos}{ag}.", "{m} {pos} - đã có miễn dịch sau tiêm chủng{ag}."),
    },
    # batch 2: label / lab-report and immunization-record styles (wording not used above)
    "excluded_label": {
        "en": ("Ruled out: {dis} ({t1} {neg}). Final: {alt}.", "{t1}: {neg}. {dis} unlikely; treating as {alt}.",
               "A/P: {alt}. {dis} considered, {t2} {neg}.", "No evidence of {dis} on {t1}. Working dx {alt}."),
        "es": ("Descartado: {dis} ({t1} {neg}). Dx final: {alt}.", "{t1}: {neg}. Poco probable {dis}; se maneja como {alt}.",
               "Plan: {alt}. Se consideró {dis}, {t2} {neg}.", "Sin evidencia de {dis} ({t1} {neg}). Dx de trabajo: {alt}."),
        "pt": ("Descartado: {dis} ({t1} {neg}). Dx final: {alt}.", "{t1}: {neg}. Pouco provável {dis}; conduzido como {alt}.",
               "Conduta: {alt}. Considerado {dis}, {t2} {neg}.", "Sem evidência de {dis} ({t1} {neg}). HD: {alt}."),
        "fr": ("Écarté : {dis} ({t1} {neg}). Diagnostic final : {alt}.", "{t1} : {neg}. {dis} peu probable ; prise en charge de {alt}.",
               "Conduite : {alt}. {dis} envisagée, {t2} {neg}.", "Pas d'argument pour {dis} ({t1} {neg}). Retenu : {alt}."),
        "vi": ("Đã loại trừ: {dis} ({t1} {neg}). Chẩn đoán cuối: {alt}.", "{t1}: {neg}. Ít nghĩ {dis}; điều trị {alt}.",
               "Hướng xử trí: {alt}. Có nghĩ đến {dis}, {t2} {neg}.", "Không có bằng chứng {dis} ({t1} {neg}). Chẩn đoán: {alt}."),
    },
    "vaccine_record": {
        "en": ("Imms today: {vac} #{n}. VIS given, no reaction.", "Vaccines administered: {vac} ({dose}), lot recorded.",
               "Catch-up: {vac} booster given for {dis} protection."),
        "es": ("Inmunizaciones hoy: {vac}, {dose}. Sin reacción.", "Vacunas administradas: {vac} ({dose}), lote registrado.",
               "Refuerzo de {vac} para protección contra {dis}."),
        "pt": ("Imunizações hoje: {vac}, {dose}. Sem reação.", "Vacinas administradas: {vac} ({dose}), lote registrado.",
               "Reforço de {vac} para proteção contra {dis}."),
        "fr": ("Vaccins du jour : {vac}, {dose}. Pas de réaction.", "Vaccin administré : {vac} ({dose}), lot noté.",
               "Rattrapage : rappel {vac} pour la protection contre {dis}."),
        "vi": ("Tiêm chủng hôm nay: {vac}, {dose}. Không phản ứng.", "Vắc xin đã tiêm: {vac} ({dose}), đã ghi số lô.",
               "Tiêm nhắc {vac} để phòng {dis}."),
    },
    # batch 3: "X vs Y" differentials, arrows and the result before the test
    "excluded_versus": {
        "en": ("Ddx {dis} vs {alt}. {t1} {neg} -> {alt}.", "{alt} vs {dis}? Negative {t1}; favor {alt}."),
        "es": ("DD: {dis} vs {alt}. {t1} {neg} -> {alt}.", "¿{alt} o {dis}? {t1} {neg}; se inclina por {alt}."),
        "pt": ("DD: {dis} x {alt}. {t1} {neg} -> {alt}.", "{alt} ou {dis}? {t1} {neg}; favorece {alt}."),
        "fr": ("DD : {dis} vs {alt}. {t1} {neg} -> {alt}.", "{alt} ou {dis} ? {t1} {neg} ; en faveur de {alt}."),
        "vi": ("CĐPB: {dis} với {alt}. {t1} {neg} -> {alt}.", "{alt} hay {dis}? {t1} {neg}; nghĩ nhiều {alt}."),
    },
    # batch 4: a suspicion and a contrast word ("but", "mais", "nhưng") in one sentence, a test "came back"
    # negative, then what it was instead; the working diagnosis written as the clinician's own thought
    "excluded_contrast": {
        "en": ("Thought this was {dis}, but {t1} came back {neg}; {alt}, supportive care.",
               "{dis} was in the differential, but {t1} was {neg}; managed as {alt}.",
               "We worried about {dis}; however {t1} and {t2} were {neg}. Turned out to be {alt}."),
        "es": ("Pensamos que era {dis}, pero {t1} salió {neg}; {alt}, tratamiento de sostén.",
               "{dis} en el diagnóstico diferencial, pero {t1} fue {neg}; se manejó como {alt}.",
               "Nos preocupaba {dis}; sin embargo {t1} y {t2} {neg}. Resultó ser {alt}."),
        "pt": ("Achamos que era {dis}, mas {t1} veio {neg}; {alt}, tratamento de suporte.",
               "{dis} no diagnóstico diferencial, porém {t1} {neg}; conduzido como {alt}.",
               "Preocupação com {dis}; entretanto {t1} e {t2} {neg}. Acabou sendo {alt}."),
        "fr": ("On pensait à {dis}, mais {t1} est revenu {neg} ; {alt}, traitement symptomatique.",
               "{dis} dans le diagnostic différentiel, mais {t1} {neg} ; prise en charge comme {alt}.",
               "Diagnostic évoqué : {dis} ; cependant {t1} et {t2} {neg}. Il s'agissait finalement de {alt}."),
        "vi": ("Nghi {dis} nhưng {t1} {neg}; chẩn đoán cuối cùng là {alt}.",
               "Lúc đầu nghĩ {dis}, nhưng {t1} {neg}; điều trị như {alt}.",
               "Có nghĩ đến {dis}, tuy nhiên {t1} và {t2} {neg}. Hóa ra là {alt}."),
    },
    # batch 5: a past episode dated and resolved, another person's disease, a lay guess read online or heard
    "historical": {
        "en": ("History of {dis} in {year}, treated and resolved.", "Had {dis} as a child; no current symptoms.",
               "PMH: {dis} ({year}), full recovery."),
        "es": ("Antecedente de {dis} en {year}, tratado y resuelto.", "Tuvo {dis} de niño; actualmente asintomático.",
               "{dis} en {year}, con recuperación completa."),
        "pt": ("Antecedente de {dis} em {year}, tratado e resolvido.", "Teve {dis} na infância; sem sintomas atuais.",
               "{dis} em {year}, recuperação completa."),
        "fr": ("Antécédent de {dis} en {year}, traité, guéri.", "A eu {dis} dans l'enfance ; aucun symptôme actuel.",
               "ATCD : {dis} ({year}), guérison complète."),
        "vi": ("Tiền sử {dis} năm {year}, đã điều trị khỏi.", "Từng mắc {dis} lúc nhỏ; hiện không có triệu chứng.",
               "{dis} năm {year}, đã hồi phục hoàn toàn."),
    },
    "exposure": {
        "en": ("Brother was diagnosed with {dis} last week; patient asymptomatic, exam normal.",
               "Coworker has {dis}; patient well, here for advice."),
        "es": ("Al hermano le diagnosticaron {dis} la semana pasada; paciente asintomático, exploración normal.",
               "Un compañero de trabajo tiene {dis}; paciente bien, consulta para orientación."),
        "pt": ("O irmão foi diagnosticado com {dis} semana passada; paciente assintomático, exame normal.",
               "Colega de trabalho com {dis}; paciente bem, vem para orientação."),
        "fr": ("Son frère a eu un diagnostic de {dis} la semaine dernière ; patient asymptomatique, examen normal.",
               "Un collègue est atteint de {dis} ; patient en bonne santé, consulte pour conseil."),
        "vi": ("Anh trai được chẩn đoán {dis} tuần trước; bệnh nhân không triệu chứng, khám bình thường.",
               "Đồng nghiệp bị {dis}; bệnh nhân khỏe, đến xin tư vấn."),
    },
    "hearsay": {
        "en": ("Mother read online that the rash could be {dis}; exam fits {alt}.",
               "Patient says a friend told him he might have {dis}; no findings, reassured."),
        "es": ("La madre leyó en internet que podría ser {dis}; la exploración es de {alt}.",
               "Dice que un amigo le dijo que podría tener {dis}; sin hallazgos, se tranquiliza."),
        "pt": ("A mãe leu na internet que poderia ser {dis}; exame compatível com {alt}.",
               "Diz que um amigo falou que ele poderia ter {dis}; sem achados, tranquilizado."),
        "fr": ("La mère a lu sur internet que ce pourrait être {dis} ; l'examen évoque {alt}.",
               "Il dit qu'un ami lui a dit qu'il pourrait avoir {dis} ; examen normal, rassuré."),
        "vi": ("Mẹ đọc trên mạng nói có thể là {dis}; khám phù hợp với {alt}.",
               "Bệnh nhân kể bạn bảo có thể bị {dis}; khám không có gì bất thường, đã trấn an."),
    },
}
#: A past episode of a lifelong infection is still the infection: no ``historical`` note for these.
LIFELONG = frozenset({"hepatitis_b", "hepatitis_c", "hiv"})
#: Notes generated per (condition, language) for each construction.
PER_PAIR = {"excluded": 3, "confirmed": 1, "vaccination": 2, "prophylaxis": 1, "immune": 1, "excluded_label": 1,
            "vaccine_record": 1, "excluded_versus": 1,
            "excluded_contrast": 1, "historical": 1, "exposure": 1, "hearsay": 1}
CONSTRUCTIONS = tuple(PER_PAIR)


@dataclass(frozen=True)
class NarrativeCase:
    case_id: str
    construction: str
    lang: str
    condition: str
    text: str
    expected: frozenset[str]


def _pick(items: list[str] | tuple[str, ...], n: int) -> str:
    return items[n % len(items)]


def _words(table: dict[str, str], lang: str) -> list[str]:
    return table[lang].split("|")


def _note(construction: str, cond: Condition, lang: str, n: int) -> str | None:
    """The n-th note of a construction for (condition, language), or None when the condition lacks its vocabulary."""
    names, tests = cond.get("names", lang), cond.get("tests", lang)
    fill = {"dis": _pick(names, n), "t1": _pick(tests, n), "t2": _pick(tests, n + 1),
            "neg": _pick(_words(NEG, lang), n), "neg2": _pick(_words(NEG, lang), n + 3),
            "pos": _pick(_words(POS, lang), n), "alt": _pick(ALTERNATIVES[cond.alt][lang].split("|"), n),
            "dose": DOSE[lang].format(n=1 + n % 3), "n": str(1 + n % 3), "year": str(2000 + n % 20)}
    if construction in ("vaccination", "vaccine_record", "prophylaxis", "immune"):
        attr = {"vaccination": "vax", "vaccine_record": "vax", "prophylaxis": "pep", "immune": "immune"}[construction]
        values = cond.get(attr, lang)
        if not values:
            return None
        value = _pick(values, n)
        if construction == "immune":
            marker, _, antigen = value.partition(";")
            fill["m"] = marker
            fill["ag"] = f", {antigen} {_pick(_words(NEG, lang), n)}" if antigen else ""
        else:
            fill["pep" if construction == "prophylaxis" else "vac"] = value
    template = _pick(TEMPLATES[construction][lang], n)
    if fill["t1"] == fill["t2"] and "{t2}" in template:
        template = _pick(TEMPLATES[construction][lang], n + 1)
    text = template.format(**fill)
    return text[:1].upper() + text[1:]


def cases(*, every: int = 1) -> list[NarrativeCase]:
    """Every generated note (``every`` > 1: a deterministic sample that still covers each construction × language)."""
    out: list[NarrativeCase] = []
    seen: dict[tuple[str, str], int] = {}
    for ci, cond in enumerate(CONDITIONS):
        for li, lang in enumerate(LANGS):
            for construction, count in PER_PAIR.items():
                for k in range(count):
                    n = ci * 7 + li * 3 + k * 5
                    text = _note(construction, cond, lang, n)
                    if text is None or (construction == "confirmed" and not cond.confirm) or (
                            construction == "historical" and cond.key in LIFELONG):
                        continue
                    group = (construction, lang)   # sampled per group, so each construction × language stays
                    seen[group] = seen.get(group, 0) + 1
                    if every > 1 and (seen[group] + ci) % every:
                        continue
                    expected = frozenset({cond.code}) if construction == "confirmed" else frozenset()
                    out.append(NarrativeCase(f"{construction}:{lang}:{cond.key}:{k}", construction, lang, cond.key,
                                             text, expected))
    return out


#: Generated notes the engine still gets wrong, by case id, and why (the test checks they stay wrong as described).
KNOWN_GAPS: dict[str, str] = {
    "excluded_contrast:vi:botulism:0": "'độc tố botulinum trong huyết thanh (âm tính)': a toxin assay is not a test",
}


def predict(case: NarrativeCase) -> set[str]:
    """The note through the real deterministic engine."""
    from cliniq_agent.api import extract

    return {r.snomed for r in extract(case.text, use_llm=False, persist_trace=False).record.reportable}


def run(probe: list[NarrativeCase]):
    """One benchmark row per construction and one per language: micro P/R over the expected conditions, notes with
    a missed condition and notes with a false report."""
    import time

    from cliniq_agent.eval.runner import SuiteResult
    from cliniq_agent.eval.scoring import CaseScore

    rows: dict[str, SuiteResult] = {}
    for case in probe:
        clock = time.perf_counter()
        predicted = predict(case)
        elapsed = (time.perf_counter() - clock) * 1000
        missed, extra = sorted(case.expected - predicted), sorted(predicted - case.expected)
        for key in (f"construction={case.construction}", f"lang={case.lang}"):
            row = rows.setdefault(key, SuiteResult(dataset="narrative probe", variant=key, cases=0,
                                                   extra={"missed": "0", "false": "0"}))
            row.latencies_ms.append(elapsed)
            row.wall_s += elapsed / 1000
            row.cases += 1
            row.valid_json += 1
            row.codes.add(set(case.expected), predicted)
            if missed or extra:
                row.misses.append(CaseScore(case_id=f"{case.case_id} | {case.text}", missed=missed, extra=extra))
                row.extra["missed"] = str(int(row.extra["missed"]) + bool(missed))
                row.extra["false"] = str(int(row.extra["false"]) + bool(extra))
    return [rows[k] for k in sorted(rows, key=lambda k: (not k.startswith("construction"), k))]
