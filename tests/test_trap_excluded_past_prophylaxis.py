"""Issue 13 precision, round 2: three trap constructions in en/es/pt/fr/vi must report nothing.

- an excluded differential: a condition considered (past tense: "we considered", "se planteó", "pensou-se em",
  "a été envisagée", "nghĩ đến") or first suspected and then replaced by another diagnosis ("turned out to be",
  "resultó ser", "eram", "thực ra là");
- a past episode: a treatment completed, a year in front of the sentence ("En 2018 fue tratado por ..."), a year
  right after the disease with a cure / no-relapse word, "recuperou-se da ...", an abbreviated French history;
- prophylaxis without disease: contacts of another person's case, preventive treatment, a disease named with
  "prevention", immunoglobulin "anti-…", a French booster ("rappel"), an immunisation line headed "up to date:".

The positives check that the same words do not hide a current case. Sentences written for this test.
"""

from __future__ import annotations

from conftest import sentence_tests

TRAPS = {
    "excluded_differential": [
        ("en", "We considered brucellosis, however the Rose Bengal test and blood cultures were negative."),
        ("en", "The vesicles were first thought to be chickenpox but turned out to be impetigo."),
        ("en", "Cholera was raised as a possibility; stool culture grew no Vibrio."),
        ("en", "Worked up for typhoid; blood cultures sterile, final diagnosis viral gastroenteritis."),
        ("es", "Se planteó brucelosis, descartada por serología negativa; se diagnosticó artritis reactiva."),
        ("es", "Se pensó en sarampión pero resultó ser una roséola."),
        ("pt", "Pensou-se em leptospirose, mas a sorologia foi negativa."),
        ("pt", "Febre tifoide foi considerada, porém as hemoculturas vieram negativas."),
        ("fr", "La brucellose a été envisagée, mais la sérologie est revenue négative."),
        ("fr", "On a d'abord pensé à une rougeole, finalement une roséole."),
        ("vi", "Ban đầu nghi sởi nhưng thực ra là dị ứng thuốc."),
        ("en", "Typhoid was high on the list, but three blood cultures stayed sterile."),
        ("en", "Does not meet the CSTE case definition for mumps."),
        ("en", "Low suspicion for legionellosis given the normal chest film."),
        ("en", "Stool culture for Campylobacter and Shigella: no pathogens isolated."),
        ("fr", "Peu probable qu'il s'agisse d'une brucellose."),
        ("en", "First diagnosed as mumps; diagnosis later corrected to bacterial parotitis."),
        ("en", "Suspected anthrax was reclassified as a spider bite."),
        ("en", "The working diagnosis changed from cholera to norovirus gastroenteritis."),
        ("en", "Brucellosis was suspected until the biopsy showed sarcoidosis."),
        ("es", "Diagnóstico inicial de tos ferina, después cambiado a bronquiolitis."),
        ("pt", "Suspeita de febre tifoide reclassificada como gastroenterite viral."),
        ("fr", "Brucellose évoquée, mais diagnostic final de sarcoïdose."),
        ("vi", "Chẩn đoán ban đầu là quai bị, sau đó sửa lại là viêm tuyến mang tai do vi khuẩn."),
    ],
    "historical": [
        ("en", "Completed nine months of tuberculosis therapy in 2011."),
        ("en", "In 2014 she was treated for brucellosis."),
        ("en", "Received treatment for gonorrhea in 2019, no new partners since."),
        ("es", "En 2016 fue tratada por fiebre tifoidea."),
        ("es", "Paludismo en 2013, curado, sin recaídas."),
        ("pt", "Em 2015 teve leptospirose."),
        ("pt", "Recuperou-se da dengue sem complicações."),
        ("fr", "Brucellose en 2012, guérie sans rechute."),
        ("fr", "ATCD de fièvre typhoïde au Mali."),
        ("en", "Caught typhoid during a 2015 trip to Pakistan."),
        ("en", "Treated for syphilis last year, RPR now nonreactive."),
        ("es", "Contrajo brucelosis en una visita al campo en 2009."),
        ("pt", "Brucelose em 2011, tratada por 3 meses."),
        ("fr", "Séquelles de poliomyélite au membre inférieur gauche."),
        ("vi", "Di chứng bại liệt chân phải."),
    ],
    "prophylaxis": [
        ("en", "Ciprofloxacin given to classmates of the student with meningococcal disease."),
        ("en", "Isoniazid preventive therapy for a household contact of a tuberculosis patient."),
        ("en", "Vivotif for typhoid prevention before the trip."),
        ("es", "Azitromicina a los convivientes del caso de tos ferina."),
        ("es", "Gammaglobulina antihepatitis A tras la exposición en la guardería."),
        ("es", "Vacunas al día: hepatitis A, hepatitis B, varicela."),
        ("pt", "Azitromicina para os contatos próximos do caso de coqueluche."),
        ("pt", "Tratamento preventivo da tuberculose iniciado por contato domiciliar."),
        ("pt", "Vacinas em dia: hepatite A, varicela."),
        ("fr", "Rifampicine donnée aux contacts du cas de méningite à méningocoque."),
        ("fr", "Rappel coqueluche fait aujourd'hui."),
        ("fr", "Vaccins à jour : hépatite B, varicelle."),
        ("vi", "Uống thuốc dự phòng sốt rét trước chuyến đi."),
        ("en", "Cat scratch from a stray. Rabies: wound irrigated, HRIG and vaccine started."),
        ("en", "Doxycycline after condomless sex to lower the chance of syphilis."),
        ("en", "Benzathine penicillin for the sexual partner of a syphilis case."),
        ("es", "Vacuna dTpa en la semana 30 para proteger al recién nacido de la tos ferina."),
        ("pt", "Certificado internacional de vacinação contra febre amarela emitido."),
        ("fr", "Certificat de vaccination contre la fièvre jaune remis."),
        ("fr", "TPE VIH débuté aux urgences."),
        ("vi", "Tiêm huyết thanh kháng uốn ván sau khi dẫm đinh."),
        ("en", "Second MMR dose for mumps protection before college."),
        ("en", "Travel vaccines given, including typhoid and yellow fever."),
        ("es", "Vacunación de puesta al día: sarampión y rubéola."),
        ("pt", "Vacinação de rotina (difteria, tétano, coqueluche) atualizada."),
        ("fr", "Rattrapage vaccinal : oreillons, rubéole."),
        ("vi", "Tiêm chủng đầy đủ, bao gồm bạch hầu và ho gà."),
    ],
}

POSITIVES = [
    ("en", "We considered brucellosis and the Rose Bengal test was positive; brucellosis confirmed by culture."),
    ("en", "Patient developed measles in 2025 and measles IgM was positive."),
    ("en", "Measles 2025, treated with vitamin A; IgM positive."),
    ("en", "Contact of a pertussis case, now with cough; Bordetella pertussis PCR positive."),
    ("es", "Fiebre tifoidea confirmada por hemocultivo en 2024."),
    ("pt", "Coqueluche confirmada por PCR."),
    ("fr", "Rougeole confirmée par IgM positives."),
    ("vi", "Lao phổi, AFB đờm dương tính, bắt đầu điều trị."),
    ("en", "Vaccine-preventable disease: measles confirmed by IgM in an unvaccinated child."),
    ("en", "Mumps reclassified as a confirmed case after the buccal PCR came back positive."),
    ("en", "Diagnosis changed from influenza to measles once the IgM came back positive."),
]

test_trap_reports_nothing, test_current_case_still_reports = sentence_tests(TRAPS, POSITIVES)
