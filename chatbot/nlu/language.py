"""Language identification good enough to route non-English messages to a person.

A message is *not English* when most of its letters are outside the Latin script
(Cyrillic, Greek, Arabic, Hebrew, CJK, Devanagari, ...), or when it contains more
function words of one other common European language than of English. Short,
ambiguous messages are treated as English (the intent model then decides).

References
----------
Grefenstette, "Comparing two language identification schemes", JADT 1995 (short-word
frequency method).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

STOPWORDS = {
    "en": "the a an and or to of in on for my your is are was it this that i you we me "
    "with have has do does can could would please where when what how not no yes my "
    "order be at from by if so but",
    "fr": "le la les un une des et ou je tu vous nous est sont mon ma mes votre pour "
    "avec dans sur pas ne que qui commande bonjour merci où quand comment c'est",
    "es": "el la los las un una y o yo tú usted es son mi mis su para con en por no "
    "que qué donde dónde cuando pedido hola gracias quiero está como cómo",
    "de": "der die das ein eine und oder ich du sie wir ist sind mein meine ihr für "
    "mit "
    "nicht bitte wo wann wie bestellung hallo danke ich möchte habe",
    "it": "il lo la gli le un una e o io tu lei è sono mio mia per con non che dove "
    "quando come ordine ciao grazie vorrei",
    "pt": "o a os as um uma e ou eu você é são meu minha para com não que onde quando "
    "como pedido olá obrigado quero",
    "nl": "de het een en of ik jij u wij is zijn mijn voor met niet dat waar wanneer "
    "hoe "
    "bestelling hallo dank bedankt wil",
}
_SETS = {lang: set(words.split()) for lang, words in STOPWORDS.items()}
_NAMES = {
    "fr": "French", "es": "Spanish", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "other": "another language",
}  # fmt: skip


def language_name(code: str) -> str:
    return _NAMES.get(code, "another language")


def detect_language(text: str) -> str:
    """``"en"``, a code from :data:`STOPWORDS`, or ``"other"`` (non-Latin script).

    Parameters
    ----------
    text : str

    Returns
    -------
    str, ISO 639-1 code or ``"other"``.
    """
    letters = [c for c in text if c.isalpha()]
    if letters:
        latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
        if latin / len(letters) < 0.5:
            return "other"
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 2:
        return "en"
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _SETS.items()}
    best = max((lang for lang in counts if lang != "en"), key=counts.get)
    if counts[best] >= 2 and counts[best] > counts["en"] * 1.5:
        return best
    return "en"
