"""What of a typed message is the customer's answer: not the question quoted back, not the
signature under it.

Customers who live in their mail program answer the desk as they answer mail: they quote the
question ("> Which mailbox?"), sign ("Best,\\nPriya Shah\\nM: 07700 900456"), and their phone
adds "Sent from my iPhone" and a legal notice. Read as words, "Sent from my Galaxy" says the
problem is sending, "> Only with certain addresses?" says yes, and a phone number in a
signature looks like an SMTP reply code. `own_message` keeps what the customer wrote for this
turn; what was quoted that is not a question (a bounce pasted with "> " before each line) is
kept without its marks.
"""

from __future__ import annotations

import re

from flows.reading import program_in

# A question quoted back, or the line that introduces a quoted message.
_QUOTED = re.compile(r"^\s*(?:>\s?)+")
_QUOTE_HEADER = re.compile(
    r"^(?:on\b.{4,120}\bwrote|il giorno\b.{4,120}\bha scritto|el\b.{4,120}\bescribi[oó]|"
    r"(?:le|los) (?:\w+ )?(?:de )?.{0,80}escribi[oó])\s*:?\s*$",
    re.IGNORECASE,
)

# Lines a phone or a mail program adds by itself.
_DEVICE = re.compile(
    r"^(?:sent from|sent with|sent via|sent using|get outlook for|inviato da|inviato dal|"
    r"inviato con|scarica outlook per|enviado desde|enviado con|obtener outlook para|"
    r"descarga outlook para)\s+(?:my |mi |il mio |il |la mia |el |la |the )?"
    r"(?:iphone|ipad|android|samsung|galaxy|outlook|mail|posta|yahoo|gmail|libero|huawei|"
    r"xiaomi|pixel|smartphone|cellulare|m[oó]vil|mobile|tel[eé]fono|dispositivo|device|phone|"
    r"blackberry|aol|spark|bluemail|tim|vodafone|movistar|orange|ios|windows)"
    r"[^@\d\n]{0,40}$",
    re.IGNORECASE,
)

# The start of a legal notice: from it to the end of its paragraph.
_NOTICE = re.compile(
    r"^(?:aviso legal|aviso de confidencialidad|avviso di riservatezza|"
    r"(?:nota di )?riservatezza\s*:|informativa(?: privacy| sulla privacy)?\s*:|"
    r"confidentiality(?: notice)?\s*:|disclaimer\s*:|privacy notice\s*:|"
    r"this (?:e-?mail|message)(?: and any (?:files|attachments)[\w ]{0,30})? (?:is|are|may be) "
    r"(?:intended|confidential|private)|"
    r"questo messaggio(?: e (?:gli )?(?:eventuali )?allegati| ed eventuali allegati)?"
    r" (?:è|e'|sono|può|contiene|potrebbe) (?:destinat|riservat|confidenzial|contener)|"
    r"este (?:mensaje|correo)(?: y sus (?:archivos )?adjuntos)? (?:va|van|es|puede|contiene) "
    r"(?:dirigid|confidencial|privad|contener)|"
    r"ai sensi del|de acuerdo con (?:el|la) (?:rgpd|lopd|ley)|conforme (?:al|a la) (?:rgpd|lopd))",
    re.IGNORECASE,
)

# "Tel. +39 049 8765432", "M: 07700 900456", "www.example.com", "P.IVA 01234567890".
_CONTACT = re.compile(
    r"^(?:(?:tel|tel[eé]fono|telefono|phone|ph|cell|cellulare|mob|mobile|m[oó]vil|m|t|f|fax|"
    r"p\.?\s?iva|vat|cif|nif|c\.?f)\.?\s*[:.]?\s*\+?[\d(][\d ()./-]{5,}\d"
    r"(?:\s*[-\u2013|·,]\s*\S.*)?|www\.\S+|https?://\S+)$",
    re.IGNORECASE,
)

# "Best,", "Cordiali saluti", "Un saludo," with perhaps the name after it.
_CLOSING = re.compile(
    r"^(?:best(?: regards| wishes)?|kind regards|regards|many thanks|thanks(?: again)?|"
    r"thank you|cheers|cordiali saluti|distinti saluti|saluti|un saluto|grazie(?: mille)?|"
    r"buona giornata|buon lavoro|un cordiale saluto|saludos(?: cordiales)?|un saludo|"
    r"un cordial saludo|atentamente|cordialmente|gracias|muchas gracias)\b[,.!]?"
    r"(?:\s+(?-i:[A-ZÀ-Ý])[\w.'-]*){0,3}$",  # and perhaps the name: "Thanks, Simon"
    re.IGNORECASE,
)
_SIGNATURE_LINE_WORDS = 8  # a signature's lines are short: name, role, company


def own_message(text: str) -> str:
    """Return `text` without quoted questions, signature, device line and legal notice (or
    `text` itself when nothing else would be left), and with a word the customer put right
    ("no me llevan los correos, perdón llegan, el corrector") put right."""
    text = _respelled(text)
    if not _MAY_HOLD.search(text):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    skipping = False  # inside a signature or a notice, up to its blank line
    for i, line in enumerate(lines):
        if not line.strip():
            skipping = False
            kept.append(line)
            continue
        if skipping:
            continue
        if line.strip() in ("--", "-- ", "—", "__"):
            skipping = True
            continue
        if _NOTICE.match(line):
            skipping = True
            continue
        if _DEVICE.match(line) or _CONTACT.match(line.strip()) or _QUOTE_HEADER.match(line):
            continue
        if (m := _QUOTED.match(line)) is not None:
            quoted = line[m.end() :].strip()
            if not quoted or _asks(quoted):
                continue
            line = quoted
        if kept and any(x.strip() for x in kept) and _CLOSING.match(line.strip()):
            rest = lines[i + 1 :]
            block = rest[: next((j for j, x in enumerate(rest) if not x.strip()), len(rest))]
            if all(_signature_line(x) for x in block):
                skipping = True
                continue
        kept.append(line)
    own = "\n".join(kept).strip()
    own = re.sub(r"\n{3,}", "\n\n", own)
    head, _, last = own.rpartition("\n")
    if head.strip() and len(head.split()) >= 3 and _NAME.match(last) and program_in(last) is None:
        own = head.strip()  # "...set to smtp.virginmedia.com.\n\nSimon": signed
    return own or text


_NAME = re.compile(r"^\s*(?:-\s*)?(?-i:[A-ZÀ-Ý][\w'.-]*)(?:\s+(?-i:[A-ZÀ-Ý][\w'.-]*)){0,2}\s*$")


# Cheap test first: most messages hold none of these.
_MAY_HOLD = re.compile(
    r"^\s*>|^--|^—|^__|sent |inviato|enviado|outlook|aviso|avviso|riservat|confiden|disclaimer|"
    r"informativa|privacy|ai sensi|rgpd|lopd|intended|destinat|dirigid|wrote|scritto|escribi|"
    r"^\s*(?:tel|phone|ph|cell|mob|m[oó]vil|m|t|f|fax|p\.?\s?iva|vat|cif|nif|www|https?)\b|"
    r"^\s*(?:best|kind|regards|many|thanks|thank|cheers|cordial|distinti|saluti|un saluto|grazie|"
    r"buon|saludos|un saludo|atentamente|gracias|muchas)",
    re.IGNORECASE | re.MULTILINE,
)


def _asks(line: str) -> bool:
    """A quoted line that is a question (the desk's, quoted back): no answer in it."""
    return line.rstrip().endswith("?") and len(line.split()) <= 25


def _signature_line(line: str) -> bool:
    """Name, role, company, phone: short, no question, no address (that may be an answer)."""
    return (
        len(line.split()) <= _SIGNATURE_LINE_WORDS
        and "@" not in line
        and not line.rstrip().endswith(("?", ":"))
    )


# A word put right just after it was typed: "perdón llegan, el corrector", "*receive".
_RESPELLED = re.compile(
    r"[,.;]?\s*(?:(?:perd[oó]n|perdona|sorry|scusa(?:te)?|scusi|i mean|quise decir|"
    r"quer[ií]a decir|volevo dire|intendevo|cio[eè])\s*[,:]?\s*|\*)"
    r"(?P<word>[^\W\d_]{3,})\*?"
    r"(?P<why>\s*,?\s*(?:(?:el |il |the |stupid |maledetto |maldito )?(?:corrector|correttore|"
    r"autocorrect\w*|t9)\b[^\n.!?]*))?(?=\s*(?:[,.!?\n]|$))",
    re.IGNORECASE,
)


def _respelled(text: str) -> str:
    m = _RESPELLED.search(text)
    if m is None:
        return text
    word = m["word"]
    before = text[: m.start()]
    typed = [
        w
        for w in re.finditer(r"[^\W\d_]{3,}", before)
        if w[0].lower() != word.lower()
        and w[0][0].lower() == word[0].lower()
        and _edits(w[0].lower(), word.lower()) <= 2
    ]
    if not typed or re.search(rf"(?<!\w){re.escape(word)}(?!\w)", before, re.IGNORECASE):
        return text
    w = typed[-1]
    return before[: w.start()] + word + before[w.end() :] + text[m.end() :]


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, for short words."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
