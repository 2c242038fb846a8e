"""Matching the clauses of two versions (consult.drafts.match): kinds, partners, order."""
import pytest

from consult.drafts.match import KINDS, ClauseText, Pair, classify, propose, similarity

# Clause texts in three languages; the same index means the same clause.
TEXTS = {
    "en": (
        "The Ministry of Natural Resources shall ensure the protection of snow leopard "
        "habitats in Naryn region together with local communities.",
        "Local self-government bodies shall restore degraded pastures before the grazing "
        "season and report on the area restored.",
        "The Forestry Service shall prepare a management plan for walnut-fruit forests in "
        "Jalal-Abad region by 2030.",
        "Research institutes shall assess the state of glaciers and wetlands every five years "
        "and publish their findings.",
        "Hunting of rare species listed in the Red Book is prohibited throughout the republic, "
        "except for scientific purposes.",
        "Pasture committees shall keep a register of grazing permits and make it available to "
        "the public.",
        "The State Agency for Environmental Protection shall coordinate the monitoring of "
        "biodiversity with neighbouring countries.",
        "Funding for the programme comes from the republican budget, local budgets and grants "
        "of development partners.",
    ),
    "ru": (
        "Министерство природных ресурсов обеспечивает охрану мест обитания снежного барса в "
        "Нарынской области совместно с местными сообществами.",
        "Органы местного самоуправления восстанавливают деградированные пастбища до начала "
        "сезона выпаса и отчитываются о восстановленной площади.",
        "Лесная служба разрабатывает план управления орехово-плодовыми лесами в "
        "Джалал-Абадской области до 2030 года.",
        "Научно-исследовательские институты оценивают состояние ледников и водно-болотных "
        "угодий каждые пять лет и публикуют свои выводы.",
        "Охота на редкие виды, занесённые в Красную книгу, запрещена на всей территории "
        "республики, кроме как в научных целях.",
        "Пастбищные комитеты ведут реестр билетов на выпас и делают его доступным для "
        "общественности.",
        "Государственное агентство охраны окружающей среды координирует мониторинг "
        "биоразнообразия с соседними странами.",
        "Финансирование программы осуществляется из республиканского бюджета, местных "
        "бюджетов и грантов партнёров по развитию.",
    ),
    "ky": (
        "Жаратылыш ресурстары министрлиги Нарын облусунда жергиликтүү жамааттар менен бирге "
        "илбирстин жашаган жерлерин коргоону камсыз кылат.",
        "Жергиликтүү өз алдынча башкаруу органдары бузулган жайыттарды жайыт мезгилине чейин "
        "калыбына келтирип, калыбына келтирилген аянт боюнча отчет беришет.",
        "Токой кызматы 2030-жылга чейин Жалал-Абад облусундагы жаңгак-мөмө токойлорун "
        "башкаруу планын иштеп чыгат.",
        "Илимий-изилдөө институттары ар беш жылда мөңгүлөрдүн жана суу-саздак жерлердин "
        "абалына баа берип, корутундуларын жарыялашат.",
        "Кызыл китепке киргизилген сейрек түрлөргө аңчылык кылуу илимий максаттардан башка "
        "учурда бүт республика боюнча тыюу салынат.",
        "Жайыт комитеттери жайыт билеттеринин реестрин жүргүзүп, аны коомчулукка жеткиликтүү "
        "кылышат.",
        "Айлана-чөйрөнү коргоо мамлекеттик агенттиги биологиялык ар түрдүүлүктүн мониторингин "
        "коңшу өлкөлөр менен макулдашат.",
        "Программаны каржылоо республикалык бюджеттен, жергиликтүү бюджеттерден жана өнүктүрүү "
        "боюнча өнөктөштөрдүн гранттарынан ишке ашырылат.",
    ),
}
BOILERPLATE = {"en": "The Ministry reports annually.",
               "ru": "Министерство отчитывается ежегодно.",
               "ky": "Министрлик жыл сайын отчет берет."}


def text(n: int) -> dict[str, str]:
    return {lang: texts[n] for lang, texts in TEXTS.items()}


def version(*texts: dict[str, str], keys: list[str] | None = None) -> list[ClauseText]:
    """Clauses numbered 1, 2, ... (or ``keys``) in the given order."""
    keys = keys or [str(n + 1) for n in range(len(texts))]
    return [ClauseText(key, n, t) for n, (key, t) in enumerate(zip(keys, texts, strict=True))]


def edited(t: dict[str, str], **replacements: tuple[str, str]) -> dict[str, str]:
    """``t`` with, per language, one (old, new) replacement."""
    result = dict(t)
    for lang, (before, after) in replacements.items():
        assert before in result[lang]
        result[lang] = result[lang].replace(before, after)
    return result


def links(rows: list[Pair]) -> list[tuple[str | None, str | None, str]]:
    return [(row.old, row.new, row.kind) for row in rows]


def test_identical_versions_are_all_same():
    old = version(*(text(n) for n in range(8)))
    rows = propose(old, version(*(text(n) for n in range(8))))
    assert links(rows) == [(str(n), str(n), "same") for n in range(1, 9)]
    assert all(row.similarity == 1.0 for row in rows)


def test_edited_clause_is_changed():
    new_third = edited(text(2), en=("by 2030", "by 2028"), ru=("до 2030 года", "до 2028 года"),
                       ky=("2030-жылга", "2028-жылга"))
    rows = propose(version(*(text(n) for n in range(5))),
                   version(text(0), text(1), new_third, text(3), text(4)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "same"), ("3", "3", "changed"),
                           ("4", "4", "same"), ("5", "5", "same")]
    assert 0.8 < rows[2].similarity < 1.0


def test_change_in_kyrgyz_only_is_changed():
    new_first = edited(text(0), ky=("Нарын облусунда", "Нарын жана Талас облустарында"))
    rows = propose(version(text(0), text(1)), version(new_first, text(1)))
    assert links(rows) == [("1", "1", "changed"), ("2", "2", "same")]


def test_whitespace_is_no_change_but_case_and_punctuation_are():
    spaced = {lang: "  " + value.replace(" ", "\n ") for lang, value in text(0).items()}
    recased = edited(text(1), en=("Local", "local"), ru=("площади.", "площади;"))
    rows = propose(version(text(0), text(1)), version(spaced, recased))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "changed")]
    assert rows[1].similarity == 1.0  # the same words once normalised


def test_insertion_at_the_start_renumbers_the_rest():
    old = version(*(text(n) for n in range(1, 8)))
    rows = propose(old, version(*(text(n) for n in range(8))))
    assert rows[0] == Pair(None, "1", "new", 0.0)
    assert links(rows[1:]) == [(str(n), str(n + 1), "renumbered") for n in range(1, 8)]


def test_inserted_clause_renumbers_edited_ones_too():
    old = version(*(text(n) for n in (0, 1, 3, 4)))
    changed_last = edited(text(4), en=("scientific purposes", "research"),
                          ru=("в научных целях", "для исследований"),
                          ky=("илимий максаттардан", "изилдөөдөн"))
    rows = propose(old, version(text(0), text(1), text(2), text(3), changed_last))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "same"), (None, "3", "new"),
                           ("3", "4", "renumbered"), ("4", "5", "renumbered")]
    assert rows[-1].similarity < 1.0


def test_deletion_renumbers_the_rest_and_stands_after_its_predecessor():
    rows = propose(version(*(text(n) for n in range(5))),
                   version(text(0), text(1), text(3), text(4)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "same"), ("3", None, "deleted"),
                           ("4", "3", "renumbered"), ("5", "4", "renumbered")]


def test_deleted_first_clause_comes_first():
    rows = propose(version(text(0), text(1), text(2)), version(text(1), text(2)))
    assert links(rows) == [("1", None, "deleted"), ("2", "1", "renumbered"),
                           ("3", "2", "renumbered")]


def test_replaced_clause_is_deleted_and_new():
    rows = propose(version(text(0), text(1), text(2)), version(text(0), text(5), text(2)))
    assert links(rows) == [("1", "1", "same"), ("2", None, "deleted"), (None, "2", "new"),
                           ("3", "3", "same")]


def joined(*texts: dict[str, str]) -> dict[str, str]:
    return {lang: " ".join(t[lang] for t in texts) for lang in TEXTS}


def test_split_into_two():
    old = version(text(0), joined(text(1), text(2)), text(3))
    rows = propose(old, version(text(0), text(1), text(2), text(3)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "split"), ("2", "3", "split"),
                           ("3", "4", "renumbered")]
    assert all(0 < row.similarity < 1 for row in rows[1:3])


def test_split_with_edits_into_three():
    part = edited(text(2), en=("by 2030", "by 2028"), ru=("до 2030 года", "до 2028 года"),
                  ky=("2030-жылга", "2028-жылга"))
    old = version(text(0), joined(text(1), text(2), text(3)), text(4))
    rows = propose(old, version(text(0), text(1), part, text(3), text(4)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "split"), ("2", "3", "split"),
                           ("2", "4", "split"), ("3", "5", "renumbered")]


def test_merge_of_two():
    old = version(text(0), text(1), text(2), text(3))
    rows = propose(old, version(text(0), joined(text(1), text(2)), text(3)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "merged"), ("3", "2", "merged"),
                           ("4", "3", "renumbered")]


def test_unrelated_neighbour_is_no_split_and_boilerplate_is_neither():
    old = version(text(0), text(1), text(2))
    rows = propose(old, version(text(0), text(1), BOILERPLATE, text(6), text(2)))
    assert links(rows) == [("1", "1", "same"), ("2", "2", "same"), (None, "3", "new"),
                           (None, "4", "new"), ("3", "5", "renumbered")]


def test_repeated_boilerplate_goes_to_the_copy_in_the_same_place():
    old = version(text(0), BOILERPLATE, text(1), BOILERPLATE, text(2), BOILERPLATE)
    new = version(text(7), text(0), BOILERPLATE, text(1), BOILERPLATE, text(2), BOILERPLATE)
    assert links(propose(old, new)) == [(None, "1", "new")] + [
        (str(n), str(n + 1), "renumbered") for n in range(1, 7)]


def test_boilerplate_copy_removed_in_one_place_is_not_taken_from_another():
    old = version(text(0), BOILERPLATE, text(1), text(2), text(3), text(4))
    new = version(text(0), text(1), text(2), text(3), BOILERPLATE, text(4))
    assert links(propose(old, new)) == [
        ("1", "1", "same"), ("2", None, "deleted"), ("3", "2", "renumbered"),
        ("4", "3", "renumbered"), ("5", "4", "renumbered"), (None, "5", "new"),
        ("6", "6", "same")]


def test_clause_moved_far_keeps_its_partner():
    old = version(*(text(n) for n in range(8)))
    new = version(*(text(n) for n in (1, 2, 3, 4, 5, 6, 0, 7)))
    rows = propose(old, new)
    assert ("1", "7", "renumbered") in links(rows)
    assert len(rows) == 8


def test_keys_other_than_numbers_and_unsorted_input():
    old = version(text(0), text(1), keys=["annex-1.1", "annex-1.2"])
    new = version(text(0), text(1), keys=["annex-1.1", "annex-1.3"])
    rows = propose(old[::-1], new[::-1])
    assert links(rows) == [("annex-1.1", "annex-1.1", "same"),
                           ("annex-1.2", "annex-1.3", "renumbered")]


def test_empty_versions():
    clauses = version(text(0), text(1))
    assert links(propose([], clauses)) == [(None, "1", "new"), (None, "2", "new")]
    assert links(propose(clauses, [])) == [("1", None, "deleted"), ("2", None, "deleted")]
    assert propose([], []) == []


def test_duplicate_key_is_refused():
    with pytest.raises(ValueError, match="'1'"):
        propose(version(text(0), text(1), keys=["1", "1"]), version(text(0)))


def test_propose_agrees_with_classify():
    old = version(text(0), joined(text(1), text(2)), text(3), text(4), text(5))
    new = version(text(7), text(0), text(1), text(2), joined(text(3), text(4)), text(6))
    rows = propose(old, new)
    chosen = [(row.old, row.new) for row in rows if row.old and row.new]
    assert classify(old, new, chosen) == rows
    assert {row.kind for row in rows} <= set(KINDS)


# ---------------------------------------------------------------- classify

def test_classify_corrected_links():
    old = version(text(0), text(1), text(2), text(3))
    new = version(text(0), text(2), text(1), text(3))
    rows = classify(old, new, [("1", "1"), ("2", "3"), ("3", "2"), ("4", "4")])
    assert links(rows) == [("1", "1", "same"), ("3", "2", "renumbered"),
                           ("2", "3", "renumbered"), ("4", "4", "same")]
    assert [row.similarity for row in rows] == [1.0] * 4


def test_classify_kinds_and_order():
    old = version(text(0), text(1), text(2), text(3), text(4), text(5))
    new = version(text(1), text(2), text(3), joined(text(4), text(5)), text(7))
    # old 1 deleted (first), old 2 split over new 1-2, old 3 linked after a human's choice
    # to new 3 only, old 4 deleted, old 5 and 6 merged into new 4; new 5 new.
    rows = classify(old, new, [("2", "1"), ("2", "2"), ("3", "3"), ("6", "4"), ("5", "4")])
    assert links(rows) == [
        ("1", None, "deleted"), ("2", "1", "split"), ("2", "2", "split"),
        ("3", "3", "changed"), ("4", None, "deleted"), ("5", "4", "merged"),
        ("6", "4", "merged"), (None, "5", "new")]
    assert rows[3].similarity < 0.7


def test_classify_same_needs_the_same_key_and_text_in_every_language():
    old = version(text(0), text(1))
    new = version(text(0), {lang: t for lang, t in text(1).items() if lang != "ky"})
    assert links(classify(old, new, [("1", "1"), ("2", "2")])) == [
        ("1", "1", "same"), ("2", "2", "changed")]


def test_classify_deleted_run_stays_after_the_rows_of_its_predecessor():
    old = version(*(text(n) for n in range(5)))
    new = version(text(0), text(4), joined(text(1), text(2)))
    rows = classify(old, new, [("1", "1"), ("5", "2"), ("2", "3")])
    assert links(rows) == [("1", "1", "same"), ("5", "2", "renumbered"),
                           ("2", "3", "renumbered"), ("3", None, "deleted"),
                           ("4", None, "deleted")]


def test_classify_refuses_unknown_keys():
    old, new = version(text(0)), version(text(0))
    with pytest.raises(ValueError, match="'7'"):
        classify(old, new, [("7", "1")])
    with pytest.raises(ValueError, match="'annex-2'"):
        classify(old, new, [("1", "annex-2")])


def test_classify_repeated_link_counts_once():
    old, new = version(text(0)), version(text(0))
    assert links(classify(old, new, [("1", "1"), ("1", "1")])) == [("1", "1", "same")]


# ---------------------------------------------------------------- similarity

def test_similarity_averages_the_common_languages():
    a = {"en": "Pastures are restored.", "ru": "Пастбища восстанавливаются.", "ky": "x"}
    b = {"en": "PASTURES  are restored!", "ru": "Нечто совсем иное здесь.", "de": "x"}
    value = similarity(a, b)
    assert 0.5 < value < 0.75  # en 1.0 after normalising, ru low, ky and de not compared
    assert similarity(a, a) == 1.0
    assert similarity({"en": "a"}, {"ru": "a"}) == 0.0
    assert similarity({"en": "a", "ru": ""}, {"en": "a", "ru": "b"}) == 1.0
