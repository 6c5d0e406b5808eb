"""ContextEngine behaviour beyond single sentences: segmentation, sections, quotes, language
guess, offsets on accented / decomposed text, rule-table validation, and the benchmark helper.
All inputs are written for these tests."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from cliniq_agent.text.context import Category, ContextEngine, RuleError
from cliniq_agent.eval.negex import run_benchmark
from cliniq_agent.text.context.rules import LANGUAGES
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.schema import Assertion


@pytest.fixture(scope="module")
def engine() -> ContextEngine:
    return ContextEngine.default()


def span_of(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def verdict(engine: ContextEngine, text: str, needle: str, occurrence: int = 0, **kw: str) -> Assertion:
    return engine.assess(text, span_of(text, needle, occurrence), **kw).assertion


def test_default_engine_is_cached(engine: ContextEngine) -> None:
    assert ContextEngine.default() is engine


def test_segments_split_sentences_lines_and_lists(engine: ContextEngine) -> None:
    text = ("Seen by Dr. Smith today, e.g. for fever. Temp 38.5 C.\n"
            "- no cough\n"
            "Assessment: 1. measles 2. r/o rubella\n"
            "Rash started on the trunk and\nspread to the face.")
    pieces = [text[a:b] for a, b in engine.segments(text)]
    assert pieces == [
        "Seen by Dr. Smith today, e.g. for fever.",
        "Temp 38.5 C.",
        "- no cough",
        "Assessment:",
        "1. measles",
        "2. r/o rubella",
        "Rash started on the trunk and\nspread to the face.",
    ]


def test_genus_initial_is_not_a_sentence_end(engine: ContextEngine) -> None:
    """"C. auris", "N. gonorrhoeae": the initial's dot does not cut the sentence, so "swab for C. auris negative"
    keeps its result (n14m's long notes); a capital letter ending a sentence before a capitalised one still cuts."""
    text = "Rectal surveillance swab for C. auris negative. Hepatitis B. Next visit in May."
    pieces = [text[a:b] for a, b in engine.segments(text)]
    assert pieces == ["Rectal surveillance swab for C. auris negative.", "Hepatitis B.", "Next visit in May."]
    assert verdict(engine, text, "C. auris") is Assertion.NEGATED


def test_scope_stops_at_sentence_end_and_line_break(engine: ContextEngine) -> None:
    assert verdict(engine, "No fever. Measles IgM positive.", "Measles") is Assertion.PRESENT
    assert verdict(engine, "No fever\nMeasles IgM positive", "Measles") is Assertion.PRESENT
    assert verdict(engine, "No fever,\nrash or cough.", "cough") is Assertion.NEGATED  # soft wrap joins


def test_two_mentions_one_sentence_get_different_statuses(engine: ContextEngine) -> None:
    text = "Measles was ruled out, but rubella was confirmed by IgM."
    assert verdict(engine, text, "Measles") is Assertion.RULED_OUT
    assert verdict(engine, text, "rubella") is Assertion.PRESENT


def test_multiline_family_section_ends_at_next_header_or_blank(engine: ContextEngine) -> None:
    text = ("Family history:\n- Mother: tuberculosis\n- Maternal uncle: hepatitis B\n"
            "Assessment: tuberculosis suspected\n\nHepatitis B surface antigen positive.")
    assert verdict(engine, text, "tuberculosis", 0) is Assertion.FAMILY
    assert verdict(engine, text, "hepatitis B", 0) is Assertion.FAMILY
    tb = engine.assess(text, span_of(text, "tuberculosis", 1))
    assert tb.assertion is Assertion.PRESENT and tb.certainty == "suspected"
    assert verdict(engine, text, "Hepatitis B", 0) is Assertion.PRESENT


def test_inline_section_scopes_only_its_line(engine: ContextEngine) -> None:
    text = "Ruled out: malaria, typhoid fever\nDx: dengue fever"
    assert verdict(engine, text, "typhoid") is Assertion.RULED_OUT
    assert verdict(engine, text, "dengue") is Assertion.PRESENT
    text = "Antécédents familiaux : diabète chez le père\nDiagnostic : rougeole"
    assert verdict(engine, text, "diabète") is Assertion.FAMILY
    assert verdict(engine, text, "rougeole") is Assertion.PRESENT


def test_quoted_reported_speech_is_not_asserted_but_chief_complaint_is(engine: ContextEngine) -> None:
    text = "Printed sheet given: 'Whooping cough spreads easily to babies at home.'"
    result = engine.assess(text, span_of(text, "Whooping cough"))
    assert result.assertion is Assertion.HYPOTHETICAL and result.category == "QUOTED"
    text = 'Chief complaint: "my son has had a rash and fever since Friday"'
    assert verdict(engine, text, "rash") is Assertion.PRESENT
    # apostrophes are not quotes
    text = "The patient's mother's cousin's dog has fleas; patient's rash is spreading."
    assert verdict(engine, text, "rash") is Assertion.PRESENT


def test_question_and_answer_forms(engine: ContextEngine) -> None:
    text = "Fever? No\nRash? Yes\nCough? Unknown\nMeasles?"
    assert verdict(engine, text, "Fever") is Assertion.NEGATED
    assert verdict(engine, text, "Rash") is Assertion.PRESENT
    assert verdict(engine, text, "Measles") is Assertion.POSSIBLE
    text = "Vomiting: no. Diarrhea: yes."
    assert verdict(engine, text, "Vomiting") is Assertion.NEGATED
    assert verdict(engine, text, "Diarrhea") is Assertion.PRESENT


def test_precedence_and_modifier_trace(engine: ContextEngine) -> None:
    text = "History of measles vaccine in 2012."
    result = engine.assess(text, span_of(text, "measles"))
    assert result.assertion is Assertion.VACCINATION
    assert [m.category for m in result.modifiers] == ["VACCINATION", "HISTORICAL"]
    text = "History of suspected tuberculosis in 2019."
    result = engine.assess(text, span_of(text, "tuberculosis"))
    assert result.assertion is Assertion.HISTORICAL and result.certainty == "suspected"


def test_vaccine_name_is_another_target_type(engine: ContextEngine) -> None:
    text = "No DTaP on record and now pertussis PCR positive."
    assert verdict(engine, text, "DTaP") is Assertion.VACCINATION
    assert verdict(engine, text, "pertussis") is Assertion.PRESENT


def test_trigger_spans_point_into_accented_and_decomposed_text(engine: ContextEngine) -> None:
    for text in ("Não há febre nem exantema.", unicodedata.normalize("NFD", "Não há febre nem exantema.")):
        result = engine.assess(text, span_of(text, "febre"))
        assert result.assertion is Assertion.NEGATED
        a, b = result.trigger_span
        assert unicodedata.normalize("NFC", text[a:b]) == "Não há"
    text = unicodedata.normalize("NFD", "Bệnh nhân không sốt.")
    needle = unicodedata.normalize("NFD", "sốt")
    assert engine.assess(text, span_of(text, needle)).assertion is Assertion.NEGATED


def test_vietnamese_with_and_without_diacritics_agree(engine: ContextEngine) -> None:
    pairs = [
        ("Mẹ bị lao phổi, bé sốt cao.", "Me bi lao phoi, be sot cao.", "lao phổi", "lao phoi", Assertion.FAMILY),
        ("Mẹ bị lao phổi, bé sốt cao.", "Me bi lao phoi, be sot cao.", "sốt", "sot", Assertion.PRESENT),
        ("Chưa loại trừ sởi.", "Chua loai tru soi.", "sởi", "soi", Assertion.POSSIBLE),
        ("Đã tiêm phòng sởi.", "Da tiem phong soi.", "sởi", "soi", Assertion.VACCINATION),
    ]
    for accented, plain, needle_a, needle_p, expected in pairs:
        assert verdict(engine, accented, needle_a) is expected, accented
        assert verdict(engine, plain, needle_p) is expected, plain


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The patient denies fever and has no rash today.", "en"),
        ("La paciente niega fiebre y no tiene exantema desde ayer.", "es"),
        ("A paciente nega febre e não tem exantema desde ontem.", "pt"),
        ("La patiente n'a pas de fièvre ni d'éruption depuis hier.", "fr"),
        ("Bệnh nhân không sốt, không phát ban.", "vi"),
        ("Benh nhan khong sot, khong phat ban.", "vi"),
        ("12345", "en"),
    ],
)
def test_detect_language(engine: ContextEngine, text: str, language: str) -> None:
    assert engine.detect_language(text) == language


def test_mixed_document_switches_language_per_sentence(engine: ContextEngine) -> None:
    text = ("Patient seen in clinic today with fever and a rash on the trunk for three days.\n"
            "Nota de la madre: niega fiebre en el hermano y sin tos en la casa.")
    result = engine.assess(text, span_of(text, "tos"))
    assert result.language == "es" and result.assertion is Assertion.NEGATED
    assert engine.assess(text, span_of(text, "rash")).language == "en"


def test_language_can_be_forced(engine: ContextEngine) -> None:
    text = "Sin fiebre."
    assert engine.assess(text, span_of(text, "fiebre"), language="es").assertion is Assertion.NEGATED
    assert engine.assess(text, span_of(text, "fiebre"), language="es").language == "es"


@pytest.mark.parametrize("span", [(5, 5), (-1, 3), (0, 999)])
def test_bad_span_is_rejected(engine: ContextEngine, span: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="target span"):
        engine.assess("No fever today.", span)


def test_bad_language_is_rejected(engine: ContextEngine) -> None:
    with pytest.raises(ValueError, match="language"):
        engine.assess("No fever today.", (3, 8), language="de")


def test_every_language_table_covers_every_category(engine: ContextEngine) -> None:
    needed = {Category.NEGATED, Category.RULED_OUT, Category.HISTORICAL, Category.HYPOTHETICAL,
              Category.POSSIBLE, Category.FAMILY, Category.VACCINATION, Category.PLANNED,
              Category.SUSPECTED, Category.PSEUDO, Category.TERMINATE}
    for language in LANGUAGES:
        have = {rule.category for rule in engine.ruleset.triggers[language]}
        assert needed <= have, (language, needed - have)
    section_languages = {rule.language for rule in engine.ruleset.sections}
    assert set(LANGUAGES) <= section_languages


def test_rule_tables_say_who_wrote_them() -> None:
    for path in sorted(kb_path("context").glob("*.tsv")):
        head = path.read_text(encoding="utf-8").splitlines()[:4]
        assert head[0].startswith(f"# kb/context/{path.name}"), path
        assert any("Source:" in line for line in head), path
    assert (kb_path("context") / "README.md").is_file()


def test_broken_rule_row_is_reported_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "context"
    shutil.copytree(kb_path("context"), folder)
    table = folder / "triggers_en.tsv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines.append("en_broken\ten\tre\t(unclosed\tNEGATED\tforward\t5\t\t")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RuleError, match=rf"triggers_en\.tsv:{len(lines)}: bad regex"):
        ContextEngine.from_folder(folder)
    lines[-1] = "en_broken\ten\tlit\tnope\tNEGATED\tsideways\t5\t\t"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RuleError, match="sideways"):
        ContextEngine.from_folder(folder)


def test_benchmark_helper_runs_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a timed test: checks the benchmark helper works and prints what it measured."""
    result = run_benchmark(n_spans=100, repeats=3)
    assert result["spans"] == 100 and result["note_chars"] >= 5000
    assert result["cold_ms_p50"] > 0 and result["warm_ms_p50"] > 0
    with capsys.disabled():
        print(f"\n[context benchmark] 100 spans / {int(result['note_chars'])} chars: "
              f"cold p50 {result['cold_ms_p50']:.1f} ms, warm p50 {result['warm_ms_p50']:.2f} ms")


def test_repeated_and_parenthesised_headers_scope_their_lines(engine: ContextEngine) -> None:
    """Header rules are matched once per distinct label text; a label whose "(...)" holds a colon ends at
    the later colon, and the same label repeated on many lines scopes each of its lines."""
    text = ("Family history (per mother: reliable): measles\nDx: pertussis\n"
            + "Ruled out: influenza\nDx: mumps\n" * 3)
    assert verdict(engine, text, "measles") is Assertion.FAMILY
    for occurrence in range(3):
        assert verdict(engine, text, "influenza", occurrence) is Assertion.RULED_OUT
        assert verdict(engine, text, "mumps", occurrence) is Assertion.PRESENT
    assert verdict(engine, text, "pertussis") is Assertion.PRESENT
