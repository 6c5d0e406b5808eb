"""Issue 13 known gaps (4): results written the way clinicians talk. An exclusion followed, without punctuation,
by another disease's own positive test ("measles ruled out rubella IgM positive": lab_statements._own_results and
en_ro_fwd); a result written before the test ("positive blood smear for P. falciparum": en_plan_test_for); an
organism "recovered from" a specimen (en_hist_resolved, result_statements es/pt rows); a suspicion whose colon
introduces a negative test while another is pending ("Sospecha de dengue: NS1 negativo, IgM pendiente": a
suspected case; any_term_colon_test, panels._names_panel counting distinct conditions). Sentences written for this
test in en/es/pt/fr/vi; the traps beside them check the same constructions do not report a negative work-up."""

from __future__ import annotations

from conftest import sentence_tests

TRAPS: dict[str, list[tuple[str, str]]] = {
    'negative_workup': [
        ('en', 'Suspected dengue: NS1 negative, IgM negative.'),
        ('es', 'Sospecha de dengue: NS1 negativo, IgM negativa.'),
        ('en', 'Dengue: NS1 negative.'),
        ('en', 'Influenza A: PCR negative.'),
        ('en', 'Negative blood smear for malaria.'),
        ('en', 'Non-reactive serology for syphilis.'),
        ('en', 'No positive cultures for Salmonella so far.'),
        ('en', 'Blood smear for malaria sent.'),
    ],
    'exclusion_or_recovery': [
        ('en', 'Measles ruled out.'),
        ('en', 'Ruled out measles; IgM negative.'),
        ('en', 'Influenza A positive for 2 days, ruled out COVID.'),
        ('en', 'Recovered from salmonella infection last year.'),
        ('es', 'Se recuperó de la salmonelosis sin secuelas.'),
    ],
}

POSITIVES: list[tuple[str, str]] = [
    ('en', 'Measles ruled out rubella IgM positive.'),
    ('en', 'Dengue excluded chikungunya PCR positive.'),
    ('es', 'Dengue descartado chikungunya PCR positivo.'),
    ('fr', 'Dengue écartée chikungunya PCR positive.'),
    ('fr', 'Rougeole écartée rubéole IgM positive.'),
    ('en', 'Positive blood smear for Plasmodium falciparum.'),
    ('en', 'Positive thick smear for P. vivax.'),
    ('en', 'Positive stool culture for Shigella sonnei.'),
    ('en', 'Neisseria meningitidis recovered from CSF.'),
    ('en', 'Y. pestis recovered from a lymph node aspirate.'),
    ('es', 'Neisseria meningitidis recuperada del LCR.'),
    ('pt', 'Salmonella Typhi recuperada da hemocultura.'),
    ('en', 'Suspected dengue: NS1 negative, IgM pending.'),
    ('es', 'Sospecha de dengue: NS1 negativo, IgM pendiente.'),
    ('pt', 'Suspeita de dengue: NS1 negativo, IgM pendente.'),
    ('fr', 'Suspicion de dengue : NS1 négatif, IgM en attente.'),
    ('vi', 'Nghi sốt xuất huyết dengue: NS1 âm tính, IgM đang chờ.'),
]

test_trap_reports_nothing, test_case_still_reports = sentence_tests(TRAPS, POSITIVES)
