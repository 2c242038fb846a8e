"""A programme in two versions, in Kyrgyz, Russian and English, whose revision does every
kind of change at once: clause 2 is inserted (renumbering what follows), old 3 is reworded,
old 5 is deleted, old 6 is split into 6 and 7, old 7 and 8 are merged into 8.

``TRUTH`` is the matching a person would confirm: (old key, new key) links.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

SLUG = "revised-programme"

HEAD = {"en": "Revised programme", "ru": "Пересмотренная программа",
        "ky": "Кайра каралган программа"}
CHAPTER = {"en": "# Chapter 1. Provisions", "ru": "# Глава 1. Положения",
           "ky": "# 1-глава. Жоболор"}

V1 = {
    "en": [
        "The programme protects the mountain ecosystems of the Kyrgyz Republic and their "
        "biodiversity.",
        "The Ministry keeps a register of protected areas and publishes it every year on "
        "its website.",
        "Hunting of argali is prohibited in every protected area and in the buffer zones "
        "around them.",
        "Local communities take part in the management of pastures through pasture "
        "committees.",
        "Grants for research on glaciers are given by the Ministry once a year after an "
        "open call.",
        "The snow leopard population is counted every three years with camera traps. The "
        "results of each count are published within six months together with the raw data.",
        "Walnut-fruit forests are restored on degraded slopes in Jalal-Abad region.",
        "Seedlings for the restoration are grown in nurseries run by the forestry service.",
    ],
    "ru": [
        "Программа охраняет горные экосистемы Кыргызской Республики и их биоразнообразие.",
        "Министерство ведёт реестр особо охраняемых территорий и ежегодно публикует его на "
        "своём сайте.",
        "Охота на архара запрещена на всех особо охраняемых территориях и в буферных зонах "
        "вокруг них.",
        "Местные сообщества участвуют в управлении пастбищами через пастбищные комитеты.",
        "Гранты на исследования ледников выдаются Министерством раз в год по открытому "
        "конкурсу.",
        "Численность снежного барса учитывается каждые три года с помощью фотоловушек. "
        "Результаты каждого учёта публикуются в течение шести месяцев вместе с исходными "
        "данными.",
        "Орехово-плодовые леса восстанавливаются на деградированных склонах в "
        "Джалал-Абадской области.",
        "Саженцы для восстановления выращиваются в питомниках лесной службы.",
    ],
    "ky": [
        "Программа Кыргыз Республикасынын тоо экосистемаларын жана алардын биологиялык ар "
        "түрдүүлүгүн коргойт.",
        "Министрлик өзгөчө корголуучу аймактардын реестрин жүргүзөт жана аны жыл сайын өз "
        "сайтында жарыялайт.",
        "Бардык өзгөчө корголуучу аймактарда жана алардын айланасындагы буфердик зоналарда "
        "аркарга аңчылык кылууга тыюу салынат.",
        "Жергиликтүү жамааттар жайыт комитеттери аркылуу жайыттарды башкарууга катышат.",
        "Мөңгүлөрдү изилдөөгө гранттар Министрлик тарабынан жылына бир жолу ачык сынак "
        "боюнча берилет.",
        "Илбирстин саны үч жылда бир жолу фотокапкандар менен эсептелет. Ар бир эсептин "
        "жыйынтыгы алты айдын ичинде баштапкы маалыматтар менен кошо жарыяланат.",
        "Жаңгак-мөмө токойлору Жалал-Абад облусунун бузулган капталдарында калыбына "
        "келтирилет.",
        "Калыбына келтирүү үчүн көчөттөр токой кызматынын питомниктеринде өстүрүлөт.",
    ],
}

NEW_CLAUSE = {
    "en": "Every citizen may ask the Ministry for environmental information and receives an "
          "answer within fifteen days.",
    "ru": "Каждый гражданин вправе запросить у Министерства экологическую информацию и "
          "получает ответ в течение пятнадцати дней.",
    "ky": "Ар бир жаран Министрликтен экологиялык маалымат сурай алат жана он беш күндүн "
          "ичинде жооп алат.",
}
REWORDED = {
    "en": "Hunting of argali is prohibited in every protected area, in the buffer zones "
          "around them and in the migration corridors.",
    "ru": "Охота на архара запрещена на всех особо охраняемых территориях, в буферных зонах "
          "вокруг них и в миграционных коридорах.",
    "ky": "Бардык өзгөчө корголуучу аймактарда, алардын айланасындагы буфердик зоналарда "
          "жана миграция жолдорунда аркарга аңчылык кылууга тыюу салынат.",
}


def _split(text: str) -> tuple[str, str]:
    first, _, rest = text.partition(". ")
    return first + ".", rest


def v2_clauses(lang: str) -> list[str]:
    old = V1[lang]
    six_a, six_b = _split(old[5])
    return [old[0], NEW_CLAUSE[lang], old[1], REWORDED[lang], old[3], six_a, six_b,
            f"{old[6]} {old[7]}"]


TRUTH = {("1", "1"), ("2", "3"), ("3", "4"), ("4", "5"), ("6", "6"), ("6", "7"),
         ("7", "8"), ("8", "8")}
KINDS = {("1", "1"): "same", ("2", "3"): "renumbered", ("3", "4"): "renumbered",
         ("4", "5"): "renumbered", ("6", "6"): "split", ("6", "7"): "split",
         ("7", "8"): "merged", ("8", "8"): "merged", (None, "2"): "new", ("5", None): "deleted"}


def write_version(folder: Path, version: int, consultation: str = "test-consultation",
                  clauses=None) -> Path:
    """Write version 1 or 2 (or ``clauses``: lang -> texts) under ``folder/SLUG``."""
    target = folder / SLUG
    target.mkdir(parents=True, exist_ok=True)
    for lang in ("ky", "ru", "en"):
        texts = clauses[lang] if clauses else (V1[lang] if version == 1 else v2_clauses(lang))
        body = "\n\n".join(f"{n}. {text}" for n, text in enumerate(texts, start=1))
        (target / f"{lang}.md").write_text(textwrap.dedent(f"""\
            Title: {HEAD[lang]}
            Document: {SLUG}
            Kind: programme
            Version: {version}
            Language: {lang}
            Consultation: {consultation}

            {CHAPTER[lang]}

            """) + body + "\n", encoding="utf-8")
    return target
