"""Reading what customers write: the defects issue 9 lists, each as a test.

The message-level reading (`flows.reading`), the dates (`flows.dates`) and
whole first turns through the real desk: an opening that describes the
problem goes to its form with what it said filled in.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from flows.dates import find_sent_at, parse_sent_at
from flows.intents import IntentModel, load_model, read_corpus
from flows.prefill import smtp_answer, subject_in
from flows.reading import read
from flows.replies import own_message
from storage.store import SqlStore
from tests.conftest import ROME
from tests.support.chat import Chat

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=ROME)  # a Friday


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Reading is the same on both databases (their storage is tested in the other modules,
    and a sample of the scripted customers runs on PostgreSQL): SQLite only."""
    return f"sqlite:///{tmp_path / 'sportello.db'}"


def case_of(chat: Chat, store: SqlStore) -> Any:
    """The case of `chat`'s conversation as the store holds it now."""
    with store.transaction() as tx:
        conv = tx.load_conversation(chat.channel, chat.user)
    assert conv is not None
    return conv.case


def answer(chat: Chat, answers: dict[str, str]) -> None:
    """Give each answer while the desk asks its question (and "no" to more examples); a
    question asked a third time fails the test instead of looping."""
    asked: dict[str, int] = {}
    while chat.asking in answers or chat.asking == "examples.more":
        if chat.asking == "examples.more":
            chat.choose("no")
            continue
        asking = chat.asking or ""
        asked[asking] = asked.get(asking, 0) + 1
        assert asked[asking] <= 2, chat.text
        chat.say(answers[asking])


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("è info@rossi-srl.example, come le dicevo", "info@rossi-srl.example"),
        ("la casella è info@rossi-srl.example grazie", "info@rossi-srl.example"),
        ("its info@example.org like I said.", "info@example.org"),
        ("(mario.bianchi@gmail.com) mi ha scritto", "mario.bianchi@gmail.com"),
    ],
)
def test_an_address_inside_a_sentence_is_found_whole(said: str, address: str) -> None:
    assert read(said, classify=False).addresses == (address,)


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("né ricevo né invio", "both"),
        ("ni envío ni recibo", "both"),
        ("I can't send or receive", "both"),
        ("well stuff comes in ok but nothing goes out", "send"),
        ("riesco a ricevere ma non a inviare", "send"),
        ("mis proveedores dicen q les rebotan los correos q me mandan", "receive"),
        ("le mail che mando ai clienti non arrivano", "send"),
        ("Nothing bounces back to her, it just never arrives at anna@example.org", "receive"),
        ("NO PUEDO MANDAR NINGUN CORREO DESDE RECEPCION@GARCIA.EXAMPLE", "send"),
        # pasted headers are the servers' words; a delay is a fault; "write to" is sending
        (
            "Los correos que nos mandan a pedidos@garcia.example llegan con horas de retraso:\n"
            "Received: from EUR05-AM6-obe.outbound.protection.outlook.com by mx.example.net\n"
            "Date: Thu, 19 Nov 2026 12:14:05 +0100",
            "receive",
        ),
        ("Non riesco a scrivere a un fornitore, mi torna indietro tutto", "send"),
        ("Un proveedor no nos puede escribir a compras@garcia.example, le rebota", "receive"),
    ],
)
def test_sending_or_receiving_is_read_from_the_sentence(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


@pytest.mark.parametrize(
    ("said", "webmail"),
    [
        ("in webmail le mail ci sono tutte", "works"),
        ("non funziona neanche da webmail", "fails"),
        ("no, en el webmail tampoco llegan", "fails"),
        ("Dalla webmail invece entro tranquillamente e vedo tutte le mail nuove", "works"),
        ("webmail? havent tried", "not_tried"),
        ("no se q es eso del webmail", "not_tried"),
        ("no it does not fail in webmail", "works"),
        ("Acabo de entrar en la webmail y ahí sí que están todos los correos de hoy", "works"),
        ("no sé qué es la webmail", "not_tried"),
        # the same password is not the same problem
        ("en la webmail entro bien con la misma contraseña y ahi si veo los correos", "works"),
        ("same in webmail", "fails"),
        # said in the clauses after the one that names webmail
        ("tried webmail now. i can log in but the folders never load, it just keeps spinning",
         "fails"),
        ("desde el navegador entré a la webmail y ahí sí aparecen, solo falla en el móvil",
         "works"),
    ],
)  # fmt: skip
def test_what_webmail_does_is_read_from_the_sentence(said: str, webmail: str) -> None:
    assert read(said, classify=False).webmail == webmail


def test_a_program_named_where_webmail_or_both_is_offered() -> None:
    r = read("Thunderbird in ufficio e a volte la webmail dal telefono", classify=False)
    assert r.program == "Thunderbird"
    assert read("Outlook 2019 sul pc", classify=False).program == "Outlook 2019"
    assert read("la leggo con l'app Mail dell'iPad", classify=False).program == "iPad Mail"


def test_an_smtp_server_that_is_not_ours_is_found() -> None:
    assert "smtp.orange.fr" in read("it uses smtp.orange.fr I think", classify=False).hosts


@pytest.mark.parametrize(
    ("said", "error"),
    [
        ("Outlook mi dice 550 5.7.1 relaying denied quando invio", "550 5.7.1 relaying denied"),
        ("Error 0x800CCC0E when I click send", "0x800CCC0E"),
        ("me tira 'No se puede obtener el correo.' y nada", "No se puede obtener el correo."),
        ("There's no error, it just never arrives", ""),
    ],
)
def test_the_error_is_copied_word_for_word(said: str, error: str) -> None:
    assert read(said, classify=False).error == error


def test_a_pasted_bounce_is_one_error_with_all_its_lines() -> None:
    pasted = "vi incollo l'errore:\nMail Delivery Failed\n550 5.1.1 <x@y.example>: User unknown"
    bounce = "Mail Delivery Failed\n550 5.1.1 <x@y.example>: User unknown"
    assert read(pasted, classify=False).error == bounce


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("domenica pomeriggio tipo 4 e mezza", datetime(2026, 11, 15, 16, 30, tzinfo=ROME)),
        ("el jueves a las 8 y pico de la noche", datetime(2026, 11, 19, 20, 0, tzinfo=ROME)),
        ("Friday, half 4-ish", datetime(2026, 11, 13, 16, 30, tzinfo=ROME)),
        ("on the 3rd at 09:40", datetime(2026, 11, 3, 9, 40, tzinfo=ROME)),
        ("Monday morning, 10ish", datetime(2026, 11, 16, 10, 0, tzinfo=ROME)),
        ("ieri pomerigio alle 3", datetime(2026, 11, 19, 15, 0, tzinfo=ROME)),
        ("el 18 a las 13:40", datetime(2026, 11, 18, 13, 40, tzinfo=ROME)),
        ("about an hour ago", datetime(2026, 11, 20, 10, 0, tzinfo=ROME)),
        ("11/18 at 2pm", datetime(2026, 11, 18, 14, 0, tzinfo=ROME)),
        ("el martes a media mañana", datetime(2026, 11, 17, 11, 0, tzinfo=ROME)),
        ("antier como a las 4 de la tarde", datetime(2026, 11, 18, 16, 0, tzinfo=ROME)),
    ],
)
def test_colloquial_dates(said: str, moment: datetime) -> None:
    assert parse_sent_at(said, NOW, ROME) == moment


def test_a_date_is_found_inside_a_story() -> None:
    story = (
        "Da ieri non arriva niente. Il sig. Bianchi mi ha mandato ieri pomeriggio verso le "
        "4 e mezza una mail con oggetto “preventivo”."
    )
    assert find_sent_at(story, NOW, ROME) == datetime(2026, 11, 19, 16, 30, tzinfo=ROME)


def test_the_model_is_learned_from_the_corpus_and_knows_every_intent() -> None:
    corpus = read_corpus()
    for lang in ("it", "es", "en"):
        counts: dict[str, int] = {}
        for ex in corpus:
            if ex.language == lang:
                counts[ex.intent] = counts.get(ex.intent, 0) + 1
        assert len(counts) == 26 and min(counts.values()) >= 40, (lang, counts)
    model = load_model()
    assert set(model.intents) == {ex.intent for ex in corpus}


def test_held_out_messages_are_mostly_understood() -> None:
    """A model trained without every fifth message still places most of them right."""
    corpus = read_corpus()
    train = [ex for i, ex in enumerate(corpus) if i % 5]
    held = [ex for i, ex in enumerate(corpus) if not i % 5]
    model = IntentModel.train(train)
    right = sum(model.guess(ex.text).intent == ex.intent for ex in held)
    assert right / len(held) > 0.75  # bench/bench_understanding.py prints the figures


@pytest.mark.parametrize(
    ("opening", "state"),
    [
        ("vorrei un indirizzo nuovo per il magazziniere che inizia lunedì", "admin_mailbox"),
        ("my iPad keeps popping up the password box for email", "email_mailbox"),
        ("il sito www.rossi-srl.example non si apre da stamattina", "details"),  # anything else?
        ("come devo configurare il firewall per la posta?", "out_of_scope"),
        ("how do I set up Avast so it stops blocking my email?", "out_of_scope"),
    ],
)
def test_an_opening_that_describes_the_problem_goes_to_its_form(
    chat: Chat, opening: str, state: str
) -> None:
    chat.say(opening)
    assert chat.state == state, chat.text


def test_a_long_first_message_leaves_only_the_missing_questions(
    chat: Chat, store: SqlStore
) -> None:
    chat.say(
        "Da ieri non riesco a inviare da info@rossi-srl.example: Outlook mi dice "
        "'550 5.7.1 Relaying denied', il server in uscita è smtp.example.net e anche dalla "
        "webmail non parte niente. Succede con tutti i destinatari."
    )
    # mailbox, direction, SMTP server, webmail, addresses, program, error: all known (and
    # the example's sender is the mailbox)
    assert chat.asking == "examples.recipient", chat.text
    chat.say("da info@rossi-srl.example a cliente@fornitore.example, oggetto 'Offerta', ieri 15:30")
    assert chat.asking == "examples.more", chat.text  # the whole example in one answer
    chat.choose("no")
    assert chat.state == "summary"
    assert "Some of this I took from what you wrote" in chat.text or "Alcune" in chat.text
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert (ticket["category"], ticket["direction"], ticket["smtp_is_provider"]) == (
        "email_sending",
        "send",
        True,
    )
    assert ticket["webmail_fails"] is True and ticket["addresses"] is None
    assert (ticket["client"], ticket["client_name"]) == ("both", "Outlook")
    assert ticket["error_text"] == "550 5.7.1 Relaying denied"
    assert ticket["examples"] == [
        {
            "sender": "info@rossi-srl.example",
            "recipient": "cliente@fornitore.example",
            "subject": "Offerta",
            "sent_at": "2026-11-19T15:30+01:00",
        }
    ]


def test_an_unsure_opening_asks_did_you_mean_with_a_few_topics(chat: Chat) -> None:
    chat.say("I have a question about my account")
    assert chat.state == "clarify" and chat.asking == "topic"
    assert "Did you mean one of these?" in chat.text
    assert 2 <= len(chat.choices) <= 3  # never the whole menu again
    chat.choose(chat.choices[0])
    assert chat.state not in ("menu", "clarify")


def test_two_misunderstandings_offer_a_person_who_gets_everything_said(
    chat: Chat, store: SqlStore
) -> None:
    chat.say("mail from clients never reaches bookings@example.org since Monday")
    assert chat.state == "email_webmail"
    chat.say("the blue one is the blue one")
    assert chat.state == "email_webmail" and chat.choices == ["yes", "no", "not_tried"]
    chat.say("depends on the weather really")
    assert "pass your request to a person" in chat.text
    assert chat.choices == ["yes", "no", "not_tried", "human"]  # the buttons, and a person
    chat.choose("human")
    assert chat.state == "done"
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None and ticket["category"] == "general"
    assert ticket["mailbox"] == "bookings@example.org"
    assert "depends on the weather" in (ticket["description"] or "")


def test_a_third_misunderstanding_hands_over_without_asking_again(
    chat: Chat, store: SqlStore
) -> None:
    chat.say("mail from clients never reaches bookings@example.org since Monday")
    for nonsense in ("the blue one is the blue one", "depends on the weather", "purple"):
        chat.say(nonsense)
    assert chat.state == "done" and chat.ticket is not None  # asked twice, never a third time
    assert store.ticket(chat.ticket)["category"] == "general"  # type: ignore[index]


def test_a_date_read_wrong_twice_is_kept_as_typed(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "I can't receive mail at info@example.org from anna@rossi-srl.example, webmail too, "
        "with everyone, only webmail, no error"
    )
    assert chat.asking == "examples.subject", chat.text
    chat.say("Invoice 42")
    chat.say("when the moon was full")
    assert chat.asking == "examples.sent_at"
    chat.say("right after the power cut")
    assert "I noted it as you wrote it" in chat.text
    assert chat.asking == "examples.more"
    chat.choose("no")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert ticket["examples"][0]["sent_at_text"] == "right after the power cut"


def test_a_day_without_a_time_is_kept_with_its_reading_shown(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "I can't receive mail at info@example.org from anna@rossi-srl.example, webmail too, "
        "with everyone, only webmail, no error"
    )
    chat.say("Invoice 42")
    chat.say("monday")
    assert chat.asking == "examples.sent_at"  # the time, please
    chat.say("monday, before the big meeting")
    assert "I understood Monday, November 16, 2026" in chat.text, chat.text
    assert chat.asking == "examples.more"
    chat.choose("no")
    assert "monday, before the big meeting" in chat.text  # at the summary
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert ticket["examples"][0]["sent_at_text"] == "monday, before the big meeting"


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("Tuesday or Wednesday, I don't remember, in the morning", "2026-11-17T09:00"),
        ("martedì o mercoledì, non ricordo, di mattina", "2026-11-17T09:00"),
        ("el martes o el miércoles, no me acuerdo, por la mañana", "2026-11-17T09:00"),
        ("ieri, l'ora non me la ricordo", "2026-11-19T12:00"),
        ("yesterday evening, no idea what time", "2026-11-19T19:00"),
    ],
)
def test_a_day_whose_hour_is_not_remembered_is_not_asked_again(
    chat: Chat, store: SqlStore, said: str, moment: str
) -> None:
    """The customer who says the hour is not known is not asked for it: the day is read, at
    about when, and their words go with it to the summary and the ticket."""
    chat.say(
        "I can't receive mail at info@example.org from anna@rossi-srl.example, webmail too, "
        "with everyone, only webmail, no error"
    )
    chat.say("Invoice 42")
    chat.say(said)
    assert chat.asking == "examples.more", chat.text
    chat.choose("no")
    assert said in chat.text  # at the summary, beside the reading, to be changed
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert ticket["examples"][0]["sent_at"].startswith(moment)
    assert ticket["examples"][0]["sent_at_text"] == said


def test_a_part_of_the_day_alone_still_asks_for_the_hour(chat: Chat) -> None:
    chat.say(
        "I can't receive mail at info@example.org from anna@rossi-srl.example, webmail too, "
        "with everyone, only webmail, no error"
    )
    chat.say("Invoice 42")
    chat.say("yesterday afternoon")
    assert chat.asking == "examples.sent_at"
    assert "add the time too" in chat.text


# Found by a fourth set of independent scripted customers (session 3).
@pytest.mark.parametrize(
    ("said", "direction"),
    [
        # "ni en spam ni en ningún lado" denies no way of mail
        (
            "q no me estan llegando los correos de mi proveedor, ellos dicen q me mandaron "
            "3 facturas y no me llego ninguna, ni en spam ni en ningun lado",
            "receive",
        ),
        ("no envia ni recibe nada", "both"),
        ("nn entra e nn esce niente", "both"),
        ("no me entra ni sale nada", "both"),
        ("No sale ningún error, simplemente no llegan.", "receive"),
    ],
)
def test_both_ways_only_when_both_verbs_are_denied(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


def test_a_mailbox_named_to_be_left_alone_is_not_the_one(chat: Chat) -> None:
    chat.say(
        "Hola! necesito dar de baja una casilla, la de jose.almacen@example.com xq el chico ya "
        "no trabaja con nosotros. Ojo q la de almacen@example.com (la general) NO hay q "
        "tocarla, esa la seguimos usando"
    )
    _past_details(chat)
    assert chat.state == "summary", chat.text
    line = next(x for x in chat.text.split("\n") if x.startswith(("Mailbox:", "Buzón:")))
    assert line.endswith(" jose.almacen@example.com"), chat.text


def _past_details(chat: Chat) -> None:
    """Answer "anything else?" (asked after a description taken from the opening)."""
    if chat.asking == "description":
        chat.choose("none")


def test_a_corrected_date_is_read_after_the_correction(chat: Chat, store: SqlStore) -> None:
    chat.say("I don't receive anything from faktury@kowalski.example at info@example.org")
    while chat.asking != "examples.sent_at":
        assert chat.asking in (
            "webmail_fails",
            "addresses",
            "client",
            "error_text",
            "examples.subject",
        ), chat.text
        chat.say(
            {
                "webmail_fails": "yes",
                "addresses": "no",
                "client": "only webmail",
                "error_text": "no error",
                "examples.subject": "Invoice",
            }[chat.asking]
        )
    chat.say("last monday i think.. no wait, supplier say it was wednesday 18, around 14:10")
    assert chat.asking == "examples.more", chat.text
    chat.choose("no")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert ticket["examples"][0]["sent_at"].startswith("2026-11-18T14:10")


def test_when_the_problem_began_is_no_example_message() -> None:
    from flows.model import Case
    from flows.prefill import example_in

    case = Case(topic="email", mailbox="segreteria@garcia.example", direction="receive")
    r = read("da ieri pomeriggio verso le 4 e mezza la casella segreteria@garcia.example è morta")

    def when(text: str | datetime) -> str | None:
        found = find_sent_at(str(text), NOW, ROME)
        return found.isoformat() if found else None

    assert when(r.text) is not None  # a time is there...
    assert example_in(r, case, lambda a: a.endswith("garcia.example"), when) is None  # not sent


def test_yes_to_open_a_ticket_is_not_a_request_for_a_person(chat: Chat, store: SqlStore) -> None:
    chat.say("Podeis comprobar el SPF, el DKIM y el DMARC del dominio garcia.example?")
    assert chat.asking == "dns_ticket", chat.text
    chat.say("si, abrid el ticket porfa, q lo mire un tecnico")
    while chat.asking in ("description", "confirm"):  # the details, then the summary
        chat.say("no, nada mas") if chat.asking == "description" else chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None and ticket["category"] == "dns_configuration"


def test_a_person_asked_after_two_vague_messages_gets_them_in_a_ticket(
    chat: Chat, store: SqlStore
) -> None:
    chat.say("hola, tengo un lio con lo vuestro a ver si me ayudais")
    chat.say("pues eso, q esta todo raro desde hace unos dias y ya no se ni q tocar")
    chat.say("mira, no se explicarlo, prefiero hablar con una persona de verdad")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None, chat.text
    assert ticket["category"] == "general"
    assert "todo raro" in ticket["description"]


# Found by a sixth set of independent scripted customers (session 3).
@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("yesterday teatime", datetime(2026, 11, 19, 16, 0, tzinfo=ROME)),
        ("tuesday after lunch", datetime(2026, 11, 17, 14, 0, tzinfo=ROME)),
        ("martedì dopo pranzo", datetime(2026, 11, 17, 14, 0, tzinfo=ROME)),
        ("el martes despues de comer", datetime(2026, 11, 17, 15, 0, tzinfo=ROME)),
    ],
)
def test_meal_times_are_times(said: str, moment: datetime) -> None:
    assert parse_sent_at(said, NOW, ROME) == moment


def test_a_message_id_is_no_address() -> None:
    pasted = "From: Studio <studio@rossi-srl.example>\nMessage-ID: <2026.a1b2@rossi-srl.example>"
    assert read(pasted, classify=False).addresses == ("studio@rossi-srl.example",)


def test_neither_in_nor_out_is_both_ways() -> None:
    said = "la posta non va né in entrata né in uscita"
    assert read(said, classify=False).direction == "both"


def _to_smtp_question(chat: Chat) -> None:
    chat.say("cant send from tom@rossi-srl.example")
    assert chat.asking == "smtp_is_provider", chat.text


@pytest.mark.parametrize("said", ["i think so", "creo q si", "credo di sì", "probably"])
def test_a_tentative_yes_is_a_yes(chat: Chat, said: str) -> None:
    _to_smtp_question(chat)
    chat.say(said)
    assert chat.asking == "webmail_fails", chat.text


def test_a_question_s_own_phrase_wins_over_a_plain_no(chat: Chat) -> None:
    _to_smtp_question(chat)
    chat.say("yes")
    chat.say("si, tampoco anda")  # "tampoco" is a "no" elsewhere: here, it fails there too
    assert chat.asking == "addresses", chat.text


def test_a_domain_corrected_in_the_answer(chat: Chat, store: SqlStore) -> None:
    chat.say("Can you check the SPF, DKIM and DMARC of our domain?")
    assert chat.asking == "domain", chat.text
    chat.say("example.com - sorry, I mean example.org! The .com is the old one")
    assert _dns_ticket(chat, store)["domain"] == "example.org"


def _dns_ticket(chat: Chat, store: SqlStore) -> dict[str, Any]:
    assert chat.asking == "dns_ticket", chat.text
    chat.choose("yes")
    while chat.asking in ("description", "confirm"):
        chat.choose("none") if chat.asking == "description" else chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None, chat.text
    return ticket


def test_the_recipients_providers_are_not_the_domain_to_check(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Le nostre newsletter finiscono in spam su Gmail e Outlook.com. Potete fare un check "
        "di SPF, DKIM e DMARC sul domain rossi-srl.example?"
    )
    assert _dns_ticket(chat, store)["domain"] == "rossi-srl.example"


def test_an_english_bounce_in_an_italian_message_keeps_italian(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say(
        "Buongiorno, da ieri non riesco più a mandare le fatture dalla casella "
        "studio@rossi-srl.example, mi tornano indietro. Vi inoltro il messaggio:\n\n"
        "This is the mail system at host smtp.example.net.\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n"
        "<amministrazione@clientebeta.it>: host mx.clientebeta.it[198.51.100.7] said:\n"
        "554 5.7.1 Service unavailable; Client host [203.0.113.25] blocked using\n"
        "zen.spamhaus.org (in reply to RCPT TO command)"
    )
    assert "English" not in chat.text and "inglese" not in chat.text, chat.text


def test_a_correction_at_the_summary_denies_the_old_address(chat: Chat) -> None:
    chat.say("por favor creen un correo nuevo para la contadora, sería contadora@example.com")
    _past_details(chat)
    assert chat.asking == "confirm", chat.text
    chat.say("No, perdón: el correo debe ser contabilidad@example.com, no contadora@example.com")
    assert chat.asking == "confirm", chat.text
    line = next(x for x in chat.text.split("\n") if x.startswith(("Mailbox:", "Buzón:")))
    assert line.endswith(" contabilidad@example.com"), chat.text


# Found by a seventh set of independent scripted customers, and in the older ones (session 3).
@pytest.mark.parametrize(
    ("said", "only_some"),
    [
        ("We can't send to anyone outside the company - internal mail goes through fine", True),
        ("a destinatarios de Hotmail rebotan; al resto de dominios salen sin problema", True),
        ("non arrivano le mail della banca, le altre mail arrivano regolarmente", True),
        ("solo me pasa con los de un cliente, los de @hierrosdelsur.es", True),
        ("It's every recipient, not one in particular.", False),
        ("no puede enviar correos a ningún destinatario", False),
    ],
)
def test_only_some_addresses_or_all_of_them(said: str, only_some: bool) -> None:
    assert read(said, classify=False).only_some is only_some


def test_a_domain_written_with_its_at_sign_is_a_domain() -> None:
    assert read("los de @hierrosdelsur.es", classify=False).hosts == ("hierrosdelsur.es",)


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        (
            "mail from external senders to support@example.com isn't arriving, internal mail "
            'is fine. E.g. from jane.doe@acme.example, subject "Invoice 5531", sent 11/19 at 2 PM.',
            "receive",
        ),
        ("our customers say the emails they send to orders@garcia.example bounce back", "receive"),
        (
            "il fornitore dice che le mail che manda a magazzino@example.com gli tornano indietro",
            "receive",
        ),
    ],
)
def test_who_sends_decides_the_way(said: str, direction: str | None) -> None:
    assert read(said, classify=False).direction == direction


@pytest.mark.parametrize(
    ("said", "error"),
    [
        (
            "L'errore dice: 550 5.7.1 Relaying denied. L'ultima era per il commercialista, "
            'oggetto "fatture ottobre", stamattina',
            "550 5.7.1 Relaying denied",
        ),
        (
            "Outlook 2019, porta 587, e anche dalla webmail esce "
            "'SMTP Error (451): Temporary local problem - please try later'",
            "SMTP Error (451): Temporary local problem - please try later",
        ),
    ],
)
def test_the_error_is_not_the_subject_nor_the_port(said: str, error: str) -> None:
    assert read(said, classify=False).error == error


def test_a_bare_hour_with_h_is_a_time() -> None:
    assert parse_sent_at("el 18/11 sobre las 16h", NOW, ROME) == datetime(
        2026, 11, 18, 16, 0, tzinfo=ROME
    )


def test_only_the_web_page_and_no_program_is_webmail_only() -> None:
    assert read("solo por la página web, no tengo programas", classify=False).only_webmail


def _open_receiving(chat: Chat, opening: str) -> None:
    chat.say(opening)
    while chat.asking in ("webmail_fails",):
        chat.choose("yes")


def test_only_a_party_without_its_address_asks_which(chat: Chat) -> None:
    _open_receiving(chat, "su contabilita@rossi-srl.example non arrivano solo le mail della banca")
    assert chat.asking == "addresses" and chat.state == "email_addresses", chat.text


def test_only_a_kind_of_addresses_is_kept_in_the_customer_s_words(chat: Chat) -> None:
    chat.say("can't send from info@example.org only to external recipients, internal are fine")
    assert chat.state not in ("email_scope", "email_addresses"), chat.text


def test_an_answer_that_begins_with_the_choice(chat: Chat) -> None:
    chat.say("tengo un problema con el correo de marta@garcia.example")
    assert chat.asking == "direction", chat.text
    chat.say("recibir, no me bajan los correos nuevos xq me pide la contraseña")
    assert chat.asking == "webmail_fails", chat.text


def test_a_supplier_s_address_is_not_the_customer_s_own(chat: Chat) -> None:
    chat.say(
        "il nostro fornitore (ordini@ferramenta.example) dice che le mail che manda a "
        'magazzino@example.com tornano indietro. L\'ultima aveva oggetto "conferma ordine 4471"'
    )
    assert chat.state != "out_of_scope", chat.text


def test_the_hosted_mailbox_that_works_is_not_the_one(chat: Chat) -> None:
    chat.say(
        "da lunedi la mia casella personale mario.bassi@libero.it non riceve piu niente. "
        "Quella dell'ufficio invece, amministrazione@example.com che è da voi, va benissimo."
    )
    assert chat.state == "out_of_scope", chat.text


def test_a_vague_opening_is_asked_about_not_guessed(chat: Chat, store: SqlStore) -> None:
    chat.say("Good afternoon, my nephew told me to write here. Nothing is how it was before.")
    assert chat.asking == "topic" and chat.state == "menu", chat.text
    chat.say("buenas. esto sigue igual q ayer")
    assert chat.asking == "topic", chat.text
    chat.choose("human")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None and ticket["category"] == "general", chat.text
    assert "nephew" in ticket["description"]


def test_the_customer_s_words_after_a_paste_are_not_the_error() -> None:
    said = (
        "our customers say their emails to orders@garcia.example bounce back:\n"
        "Delivery has failed to these recipients or groups:\n"
        "orders@garcia.example\n"
        "Remote server returned '552 5.2.2 Mailbox full; quota exceeded'\n"
        "but it cant be full, i deleted like 2000 old mails last week"
    )
    r = read(said, classify=False)
    assert r.error is not None and r.error.endswith("quota exceeded'")
    assert "deleted" not in r.error


def test_from_our_address_to_others_is_sending(chat: Chat) -> None:
    chat.say(
        "Emails from info@example.org to gmail addresses are bouncing since yesterday, other "
        "domains are fine. The bounce says:\n"
        "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating\n"
        "421-4.7.28 from your IP address."
    )
    assert chat.asking == "smtp_is_provider", chat.text  # sending: is it our server?


# Found by an eighth set of independent scripted customers (session 3).
def test_an_out_of_scope_answer_in_the_middle_of_a_form_ends_there(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("Salve vorrei un aiuto con la posta")
    assert chat.asking == "mailbox", chat.text
    chat.say(
        "la casella è anna.villa@example.com, ma funziona, è che nn so usare Thunderbird, "
        "vorrei che qualcuno mi insegnasse a fare le cartelle e le regole"
    )
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("ieri mattina sulle 11", datetime(2026, 11, 19, 11, 0, tzinfo=ROME)),
    ],
)
def test_more_ways_to_say_a_time(said: str, expected: datetime) -> None:
    assert parse_sent_at(said, NOW, ROME) == expected


def test_more_readings() -> None:
    quoted = 'dalla webmail non entra, mi scrive "Nome utente o password non validi".'
    assert read(quoted, classify=False).error == "Nome utente o password non validi"
    assert read("Not all of them, no. Post from the court still comes in.").only_some is True
    logged = "I've just logged into the webmail to check and they're not there either."
    assert not read(logged, classify=False).only_webmail
    both = "mate my emails r dead cant send nothin and nothin comin in either since this mornin"
    assert read(both, classify=False).direction == "both"
    sending = "Les reenvío el aviso de error que me llega al enviar los modelos a un cliente."
    assert read(sending, classify=False).direction == "send"


def test_a_paste_introduced_by_a_colon_and_followed_by_the_customer() -> None:
    said = (
        "Aiuto, il sito del B&B non si apre più da stanotte, esce solo questo:\n\n"
        "Service Unavailable\n"
        "The server is temporarily unable to service your request. Please try again later.\n\n"
        "e le prenotazioni sono ferme!"
    )
    r = read(said)
    assert r.error == (
        "Service Unavailable\n"
        "The server is temporarily unable to service your request. Please try again later."
    )
    assert r.intent == "hosting", r.guess


def test_a_customer_sentence_that_names_a_server_is_not_the_paste() -> None:
    said = (
        "I cannot send from info@example.com, the outgoing server is smtp.virginmedia.com. "
        "This is the error:\n\n"
        "Task 'info@example.com - Sending' reported error (0x800CCC0F) : 'The connection to "
        "the server was interrupted.'\n\nreceiving is fine."
    )
    r = read(said)
    assert r.error is not None and r.error.startswith("Task")
    assert r.direction == "send"


def test_an_unsure_guess_does_not_set_the_direction(chat: Chat) -> None:
    chat.say(
        "Hiya, it's Gina from Bean There café ☕ emails with my coffee supplier are all messed "
        "up since last week and they're threatening to stop my deliveries lol. webmail does the "
        "exact same thing so don't tell me it's my laptop"
    )
    chat.say("it's hello@example.org")
    assert chat.asking == "direction", chat.text


def test_an_isp_technician_is_no_firewall(chat: Chat) -> None:
    chat.say(
        "Buenas, no puedo mandar correos desde oficina@example.com con el Outlook, en el "
        "servidor de salida tengo puesto smtp.movistar.es creo, porque me lo dejó así el "
        "técnico de Movistar cuando vino a poner la fibra"
    )
    assert chat.state == "out_of_scope" and "smtp.example.net" in chat.text, chat.text


def test_a_word_buried_in_a_vague_answer_is_no_answer(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("La posta maestro.giuseppe@example.com da qualche giorno fa le bizze.")
    assert chat.asking == "direction", chat.text
    chat.say("mah... è un po' tutto strano, sa")
    assert chat.asking == "direction", chat.text  # asked again, not taken as "both"


@pytest.mark.parametrize(
    "said",
    [
        "Buenas, soy maestra jubilada y mis hijos me regalaron una computadora nueva. Quisiera "
        "que me enseñen a instalar el Outlook y a usarlo, porque nunca usé uno de esos programas.",
        # ahead of the word "correo" too
        "Buenas tardes. Tengo una laptop nueva y necesito que me instalen el Outlook y me "
        "enseñen a usarlo para el correo de la tienda, yo no sé nada de computadoras.",
    ],
)
def test_an_out_of_scope_request_far_ahead_is_taken(chat: Chat, said: str) -> None:
    chat.say(said)
    assert chat.state == "out_of_scope", chat.text


def test_a_described_request_still_gets_anything_else(chat: Chat, store: SqlStore) -> None:
    chat.say("il sito www.rossi-srl.example non si apre da stamattina, errore 503")
    assert chat.asking == "description", chat.text
    chat.say("abbiamo aggiornato i plugin ieri sera")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None, chat.text
    assert "503" in ticket["description"] and "plugin" in ticket["description"]


def test_webmail_that_shows_a_pasted_error_fails(chat: Chat) -> None:
    said = (
        "hi, since this morning about 10ish nothing comes in or goes out of sales@example.org. "
        "outlook just keeps spinning and webmail shows this when i open the inbox:\n"
        "Temporary server error. Please try again later.\n"
        "the whole sales team is stuck, pls help"
    )
    assert read(said, classify=False).webmail == "fails"
    chat.say(said)
    assert chat.state != "out_of_scope", chat.text


# Found by a ninth, mixed set of independent scripted customers (session 3).
def test_nothing_in_or_out_just_spinning_everyone() -> None:
    said = "nothing comes in or goes out of sales@example.org. outlook just keeps spinning"
    r = read(said, classify=False)
    assert r.direction == "both" and r.only_some is not True  # (nothing comes in: everyone's)
    assert read("no, it's everyone, internal and external", classify=False).only_some is False


# Found by a tenth set of independent scripted customers (session 4).
def test_a_time_after_an_address_and_before_a_full_stop() -> None:
    said = (
        'e.g. from info@rossi-srl.example to a.brown@brown-logistics.co.uk, subject "Order '
        '2026/77", sent yesterday at 16:05. We use Outlook 365 and webmail.'
    )
    found = find_sent_at(said, NOW, ROME)
    assert found == datetime(2026, 11, 19, 16, 5, tzinfo=ROME)
    assert parse_sent_at("stamattina alle 9 e 20: da info@", NOW, ROME) == datetime(
        2026, 11, 20, 9, 20, tzinfo=ROME
    )


def test_nowhere_and_nobody_are_read_for_what_they_say() -> None:
    assert (
        read(
            "ventas@garcia.example no recibe lo que nos manda un cliente; lo busqué en la webmail "
            "y no está en ninguna parte",
            classify=False,
        ).direction
        == "receive"
    )
    assert (
        read("since this morning nobody can send from office@example.org", classify=False)
        .direction
        == "send"
    )  # fmt: skip
    assert read("non vedo più la posta nuova da ieri", classify=False).direction == "receive"


def test_the_rest_arriving_means_only_some() -> None:
    said = "no nos llegan los correos de un proveedor, del resto de gente sí nos llegan"
    assert read(said, classify=False).only_some is True


def test_a_quote_inside_a_long_sentence_of_a_multi_line_message_is_the_error() -> None:
    said = (
        "Buongiorno, sono il tecnico dello studio.\n"
        "Da stamattina la casella segreteria@example.com non invia più nulla, Thunderbird va in "
        'timeout e anche dalla webmail il login fallisce con "Credenziali non valide".\n'
        "Le altre caselle vanno."
    )
    assert read(said, classify=False).error == "Credenziali non valide"


def test_a_change_of_mind_in_the_opening_decides_the_topic(chat: Chat) -> None:
    chat.say(
        "Hola, queríamos dar de baja el buzón de luis@garcia.example porque ya no trabaja aquí. "
        "Bueno no, pensándolo mejor no lo borréis, que le escriben proveedores; lo que quiero es "
        "cambiarle la contraseña para que no pueda entrar él."
    )
    assert chat.asking in ("description", "confirm"), chat.text
    assert "contraseña" in chat.text.lower() or chat.asking == "description", chat.text
    if chat.asking == "description":
        chat.choose("nothing")
    assert "eliminación" not in chat.text, chat.text


def test_a_person_asked_for_at_did_you_mean(chat: Chat) -> None:
    chat.say(
        "hello there, there's a letter from you lot on my desk that i can't make sense of, "
        "something about the email"
    )
    assert chat.asking == "topic", chat.text
    chat.say("no idea which of those it is to be honest. could i speak to a real person please")
    assert chat.ticket is not None and "General request" in chat.text, chat.text


def test_a_web_server_error_is_the_website() -> None:
    from flows.engine import _evidence

    said = "el sitio no abre desde ayer, sale esto:\n502 Bad Gateway\nnginx/1.24.0"
    assert _evidence(read(said)) == "hosting"


def test_a_longer_phrase_beats_a_word_of_another_topic() -> None:
    from flows.understand import match_phrases

    table = {"email": ["email", "emails"], "password": ["password", "new password"]}
    said = "my friends got odd emails from me. I would like a new password for my mailbox"
    assert match_phrases(said, table) == "password"


def test_the_time_of_a_mail_received_is_no_sent_example_s(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "can't send anything from office@example.org since this morning, outlook keeps asking "
        "for the password, the last mail i got was at 8:15. smtp is smtp.example.net"
    )
    assert chat.asking != "confirm" or "08:15" not in chat.text, chat.text
    assert "08:15" not in chat.text, chat.text


# Found by an eleventh set of independent scripted customers (session 4).
@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("since yesterday i cant send or get anything on the shop email", "both"),
        ("da stamattina nn mi arriva niente e manco parte niente", "both"),
        ("la casella nn riceve le mail del fornitore, cioè quelle che arrivano da lui; tutte le "
         "altre arrivano. L'ultima che ci ha mandato è stata spedita ieri", "receive"),
    ],
)  # fmt: skip
def test_more_ways_to_say_which_way(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


def test_there_alone_is_no_webmail_that_works() -> None:
    said = "opened the webmail on the pc over there, same thing, it won't let me log in"
    assert read(said, classify=False).webmail == "fails"


def test_no_errors_said_the_other_way_round() -> None:
    assert (
        read("Errori non ne vediamo nessuno, semplicemente non arriva", classify=False).error == ""
    )


@pytest.mark.parametrize(
    ("said", "mailbox"),
    [
        ("buenas, necesito q me creen un buzón nuevo caja@garcia.example para el chico nuevo, "
         "ya tenemos tienda@garcia.example con ustedes y ese sigue igual", "caja@garcia.example"),
        # named again, better
        ("Buenas, necesito un buzón nuevo para la chica que empieza el lunes. Había pensado en "
         "caja2@garcia.example... no, mejor con su nombre: lucia.mora@garcia.example.",
         "lucia.mora@garcia.example"),
    ],
)  # fmt: skip
def test_a_new_mailbox_beside_another_address(
    chat: Chat, store: SqlStore, said: str, mailbox: str
) -> None:
    chat.say("/lang es")
    chat.say(said)
    assert chat.asking in ("description", "confirm"), chat.text
    if chat.asking == "description":
        chat.choose("none")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None and ticket["mailbox"] == mailbox, chat.text


def test_put_me_through_to_a_person(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("los profes no pueden mandar correos desde direccion@garcia.example, sale un error")
    chat.say("ni idea q es eso, mejor paseme con una persona porfa")
    assert chat.ticket is not None, chat.text


def test_both_in_chat_speak_at_the_client_question(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("la casella info@rossi-srl.example nn riceve piu nulla da ieri, neanche da webmail")
    chat.say("no con tutti")
    assert chat.asking == "client", chat.text
    chat.say("tt e 2")
    assert chat.asking == "client" and "programma" in chat.text.lower(), chat.text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "my ipad keeps popping up the password box for email. the email is "
               "ken.morris52@btinternet.com, my daughter said you do our email?"),
        ("it", "buongiorno, da quando ho cambiato la password della mail "
               "ambulatorio.verdi@gmail.com il programma delle fatture non spedisce più niente"),
        ("it", "salve nn mi arrivano piu le mail sulla mia posta da lunedi, l'indirizzo e "
               "franco.neri61@libero.it, mi hanno detto di scrivere a voi"),
        ("it", "Abbiamo la casella segreteria@studiobruni.it con Aruba e da ieri non riceve "
               "nulla."),
    ],
)  # fmt: skip
def test_the_customer_s_own_address_at_another_provider(chat: Chat, lang: str, said: str) -> None:
    chat.say(f"/lang {lang}")
    chat.say(said)
    assert chat.state == "out_of_scope", chat.text


# Found by a twelfth set of independent scripted customers (session 4): customers who do
# not follow the script.
@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("it's sales at example dot org", "sales@example.org"),
        ("orders @ rossi-srl . example", "orders@rossi-srl.example"),
        ("sería luis.pardo arroba garcia.example", "luis.pardo@garcia.example"),
        ("anna punto neri chiocciola example punto com", "anna.neri@example.com"),
        ("the one with a dash, info @ shop-name.example. Thanks", "info@shop-name.example"),
    ],
)
def test_an_address_spelled_out(said: str, address: str) -> None:
    assert read(said, classify=False).addresses == (address,)


def test_a_domain_spelled_out_and_a_domain_after_an_at_sign() -> None:
    assert read("it's brownjoinery dot co dot uk", classify=False).hosts == ("brownjoinery.co.uk",)
    said = "solo me pasa con los de un cliente, los de @ferreteria-sur.es"
    assert read(said, classify=False).addresses == ()


def test_a_setting_s_name_is_no_way_that_fails() -> None:
    said = (
        "¿el servidor de salida? no, perdón, me expliqué mal: yo sí mando, lo que pasa es que "
        "no me entra nada, los clientes me escriben y no me llega"
    )
    assert read(said, classify=False).direction == "receive"
    said = "non parte niente e non arriva niente da stamattina"
    assert read(said, classify=False).direction == "both"


def test_mail_to_one_customer_is_only_some() -> None:
    said = "me rebotan todos los correos que le mando a un cliente"
    assert read(said, classify=False).only_some is None  # asked: all of them, or only theirs?
    said = "no es de una persona sola, no me llega ningún correo de nadie"
    assert read(said, classify=False).only_some is not True


def test_a_question_asked_back_at_the_smtp_question_is_explained(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("no puedo mandar correos desde tienda@garcia.example desde ayer")
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say("¿Y eso dónde lo miro? ¿lo del smtp?")
    assert chat.asking == "smtp_is_provider" and "(SMTP)" in chat.text, chat.text


def test_a_day_then_its_time_in_the_next_answer(chat: Chat, store: SqlStore) -> None:
    chat.say("nothing is coming in to office@example.org, same in webmail, no error, everyone")
    while chat.asking not in ("examples.sent_at", None):
        chat.say(
            {
                "addresses": "everyone",
                "client": "only webmail",
                "error_text": "no error",
                "examples.sender": "tom.hale@hale-garage.example",
                "examples.recipient": "office@example.org",
                "examples.subject": "quote",
            }.get(chat.asking or "", "no")
        )
    chat.say("last wednesday, late-ish")
    assert chat.asking == "examples.sent_at", chat.text
    chat.say("in the evening, around 8 o'clock")
    assert chat.asking == "examples.more", chat.text


def test_a_person_asked_for_is_asked_once_what_it_is_about(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("Terza volta che scrivo. Voglio parlare con una persona vera, non con un robot.")
    assert chat.asking == "description", chat.text
    chat.say("è per il contratto, lo spiego al tecnico a voce")
    assert chat.asking == "confirm", chat.text


def test_a_billing_request_from_the_opening_gets_anything_else(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("hola")
    chat.say("es por la factura del hosting, me la cobrasteis dos veces en la tarjeta")
    assert chat.asking == "description", chat.text


# Found by a thirteenth set of independent scripted customers (session 4).
def test_the_last_mail_that_arrived_is_no_example_s_time(chat: Chat) -> None:
    chat.say("hi, no emails coming in to shop@example.org since yesterday evening")
    chat.say(
        "tried webmail.example.net, it's empty there too, last email in it is from yesterday 5pm"
    )
    assert "17:00" not in chat.text and "5:00 PM" not in chat.text, chat.text


def test_the_outgoing_server_a_program_s_error_names_is_the_customer_s() -> None:
    from flows.prefill import smtp_answer

    said = (
        "from this morning info@garcia.example not send and not receive, the error is:\n"
        "Sending of the message failed. The connection to Outgoing server (SMTP) "
        "smtp.example.net was lost in the middle of the transaction."
    )
    assert smtp_answer(read(said, classify=False), "smtp.example.net") is True


def test_all_the_people_is_everyone() -> None:
    assert read("is with all the people, not one address", classify=False).only_some is False


def test_a_question_about_webmail_is_not_tried_unless_it_says_more() -> None:
    assert read("¿como entro a la webmail? ¿es esa pagina?", classify=False).webmail == "not_tried"
    said = "what do you mean by webmail? anyway it fails there too"
    assert read(said, classify=False).webmail == "fails"


def test_an_answer_about_webmail_that_does_not_name_it(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("no me llegan los correos a compras@garcia.example desde el martes")
    assert chat.asking == "webmail_fails", chat.text
    chat.say("ya entré y tampoco están ahí, ni en spam")
    assert chat.asking == "addresses", chat.text


def test_the_time_corrected_at_the_summary(chat: Chat, store: SqlStore) -> None:
    chat.say("/lang es")
    chat.say("desde hoy no entra ni sale nada de info@garcia.example, smtp.example.net")
    answers = {
        "webmail_fails": "en la webmail tampoco",
        "addresses": "con todos",
        "client": "solo webmail",
        "error_text": "no sale ningún error",
        "examples.sender": "info@garcia.example",
        "examples.recipient": "contable.ruiz@gmail.com",
        "examples.subject": "Liquidación",
        "examples.sent_at": "hoy a las 9:30",
    }
    answer(chat, answers)
    assert chat.asking == "confirm", chat.text
    chat.say("Perdón, me equivoqué con la hora: lo mandé a las 8:30, no a las 9:30")
    assert chat.asking == "confirm" and "08:30" in chat.text, chat.text


def test_no_errors_there_are() -> None:
    assert read("errori non ce ne sono, semplicemente non arrivano", classify=False).error == ""


def test_nada_mas_is_only() -> None:
    assert read("si, parece que nada mas los de un proveedor", classify=False).only_some is True


def test_webmail_that_is_not_working_and_only_in_webmail() -> None:
    said = "I only use webmail in Firefox, no program, and that's where it's not working"
    assert read(said, classify=False).webmail == "fails"
    said = "le mail mi arrivano ma solo sulla webmail, su outlook da ieri non scarica"
    assert read(said, classify=False).webmail == "works"


# Found by a fourteenth set of independent scripted customers (session 4).
@pytest.mark.parametrize(
    "said",
    [
        "good afternoon, i got a letter from you saying my account is moving to something new "
        "and i do not know what i am meant to do, my daughter normally deals with all this. "
        "could i speak to a real person please",
    ],
)
def test_an_opening_that_asks_for_a_person_at_its_end(chat: Chat, said: str) -> None:
    chat.say(said)
    assert chat.ticket is not None and "General request" in chat.text, chat.text


def test_mail_that_comes_back_and_a_parenthesis() -> None:
    said = "mi proveedor dice q me manda los pedidos y q le vuelven"
    assert read(said, classify=False).direction == "receive"
    said = "no puedo enviar desde ana@example.com (recibir sí recibo bien), uso Thunderbird"
    assert read(said, classify=False).direction == "send"
    assert read("non riesco più a leggere la posta da ieri", classify=False).direction == "receive"


def test_webmail_after_a_correction() -> None:
    said = (
        "nothing there either... ah no, sorry, I was looking in Sent. In the webmail inbox the new "
        "mails are there"
    )
    assert read(said, classify=False).webmail == "works"


def test_two_programs_are_both_kept() -> None:
    said = "en el celular con la app de gmail y en la compu con outlook"
    program = read(said, classify=False).program or ""
    assert "Gmail" in program and "Outlook" in program


# Found by a fifteenth set and a probe of labelled answers, both independent (session 4).
def test_an_emoji_ends_a_clause() -> None:
    said = (
        "da ieri non riesco a mandare le fatture, tornano indietro 😩 e adesso arrivano i solleciti"
    )
    assert read(said, classify=False).direction == "send"


def test_a_program_not_used_and_a_program_named_twice() -> None:
    assert read("solo webmail, niente outlook", classify=False).program is None
    said = "it's not Outlook's fault, we read mail in Outlook 365 and webmail"
    assert read(said, classify=False).program == "Outlook 365"


def test_the_domain_to_register_is_not_the_customer_s_mail_domain(chat: Chat) -> None:
    chat.say(
        "Hi! I'd like to register greenfieldpottery.co.uk for my new shop please, I already have "
        "my email with you (anna@example.org)"
    )
    assert chat.asking in ("description", "confirm"), chat.text
    if chat.asking == "description":
        chat.choose("none")
    assert "greenfieldpottery.co.uk" in chat.text, chat.text


@pytest.mark.parametrize(
    ("said", "only_some"),
    [
        ("no es solo con algunas, es con todas", False),
        ("only mails coming from our accountant", True),
        ("algunas sí otras no", True),
    ],
)
def test_more_answers_about_which_addresses(said: str, only_some: bool) -> None:
    assert read(said, classify=False).only_some is only_some


@pytest.mark.parametrize(
    ("said", "asking"),
    [
        ("no, neanche lì funziona", "addresses"),  # it fails in webmail too
        ("nope, not even there", "addresses"),
        ("todavia no lo probe, ahora no puedo", "webmail_fails"),  # not tried: explained
        ("en webmail no pasa, solo en el outlook", None),  # webmail works: out of scope
        # session 5: not knowing webmail is not having tried it; "all my emails were there"
        ("I don't know about webmail dear, I only use the computer in the back room",
         "webmail_fails"),
        ("Well, she went on the webmail page and all my emails were there", None),
    ],
)  # fmt: skip
def test_short_answers_at_the_webmail_question(chat: Chat, said: str, asking: str | None) -> None:
    chat.say("nothing arrives at info@example.org since this morning")
    assert chat.asking == "webmail_fails", chat.text
    chat.say(said)
    if asking is None:
        assert chat.state == "out_of_scope", chat.text
    else:
        assert chat.asking == asking, chat.text


# Found by a sixteenth set of independent scripted customers (session 4).
def test_the_mailbox_that_fails_at_another_provider_beside_ours_that_works(chat: Chat) -> None:
    chat.say("hi, one of my accounts stopped getting new mail on wednesday")
    assert chat.asking == "mailbox", chat.text
    chat.say("the yahoo one - pete.hale77@yahoo.com. my work one, pete@example.com, is fine")
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("no emails coming thru since the storm last night", "direction", "receive"),
        ("no me jala el correo ni pa mandar ni pa recibir desde hoy", "direction", "both"),
        # a clause that says where the customer reads mail says nothing of webmail
        ("en la webmail tampoco están. Normalmente usamos Outlook y a veces la webmail. No nos "
         "sale ningún error", "webmail", "fails"),
        ("da webmail.example.net lì entro senza problemi e vedo anche le mail di stamattina",
         "webmail", "works"),
        # the seventeenth set (session 5)
        # someone else named who sends is no sending problem; "without fail" is no failure
        ("I havent had any emails from the church since about tuesday, and Brenda sends the "
         "flower rota every single week without fail", "direction", "receive"),
        ("My customers are telling me they never receive my quotes", "direction", "send"),
        ("la collega dice che sono le nostre che non arrivano ai clienti. Insomma tutte e due "
         "le cose credo", "direction", "both"),
        # "everybody" that is not about mail says nothing of the addresses
        ("I had to ring round everybody to find out if I was on for Sunday", "only_some", None),
        ("idk, think its everyone, nothing at all has come in", "only_some", False),
        ("Pasa con todo el mundo, no con alguien en concreto", "only_some", False),
        ("Not to everybody. My accountant receive everything. My cousin no", "only_some", True),
        ("she went on the webmail page and all my emails were there", "webmail", "works"),
        ("ho provato dal sito della webmail e da li è partita subito", "webmail", "works"),
        # the eighteenth set (session 5)
        ("i am not getting my emails since yesterday, can you please help me", "direction",
         "receive"),
        ("amministrazione@rossi-srl.example: nothing in, nothing out since ~8:30 today",
         "direction", "both"),
        ("info@rossi-srl.example can't send to any gmail.com address since yesterday, other "
         "domains ok", "only_some", True),
        ("Casella ufficio@example.com (info è solo un alias). Non parte niente", "only_some", None),
        ("On my phone and on the webmail I see all the new emails normally", "webmail", "works"),
        ("The router's had a red light on since the storm", "signals",
         frozenset({"internet_connection", "internet_down"})),
        # the twenty-third set (session 5)
        ("hi, since tuesday my shop email ordini@example.com doesnt work both ways", "direction",
         "both"),
        ("no me llegan... bueno no, llegar si llegan, lo que no puedo es enviar", "direction",
         "send"),
        ("thunderbird non scarica piu la posta da ieri sera, esce un errore di connessione",
         "direction", "receive"),
        ("Il messaggio era da x@metalmeccanica.it. Succede solo con le mail che arrivano da loro, "
         "le altre arrivano regolarmente", "direction", None),  # which addresses, not which way
        ("no puedo mandar ni recibir nada, ni en el ordenador ni entrando por internet en la "
         "pagina del correo", "webmail", "fails"),
        ("Mail on the mac at the shop, plus webmail on the phone", "program",
         "Apple Mail (mail on the mac)"),
        # the twenty-second set (session 5)
        ("The studio mailbox is dead since this morning, I can't send and nothing comes in.",
         "direction", "both"),
        ("Ciao, la casella info@garcia.example non manda e non riceve. In webmail stesso problema, "
         "con Thunderbird uguale. Come smtp usiamo il vostro smtp.example.net.\nErrore di "
         "Thunderbird:\nInvio del messaggio non riuscito.\nImpossibile connettersi al server SMTP "
         "smtp.example.net.", "error", "Invio del messaggio non riuscito.\nImpossibile connettersi "
         "al server SMTP smtp.example.net."),
        # the twenty-first set (session 5)
        ("smtp.example.net rechaza los envios de soporte@example.org hacia dominios de Microsoft. "
         "Al resto sale bien.", "direction", "send"),
        ("Same in Thunderbird (SMTP smtp.example.net:587) and in webmail at webmail.example.net, "
         "so it's not the client.", "webmail", "fails"),
        # the twentieth set (session 5)
        ("Since yesterday evening I am unable to send any mails from accounts@rossi-srl.example. "
         "same issue is coming in webmail also, not only in Outlook 2019", "direction", "send"),
        ("We are using smtp.example.net only as per your setup sheet. Mail was to "
         "suresh@iyer.example.in", "only_some", None),
        ("other people get my emails fine, its only hartley-foods. Everything I send to "
         "@hartley-foods.co.uk comes back", "only_some", True),
        ("hiya, not gettin any emails from me suppliers since tuesday", "direction", "receive"),
        ("La mail ordini@example.org da ieri nun riceve cchiù le mail di Brico Sud. L'ultima che "
         "m'hanno mandato era ieri", "direction", "receive"),
        # the nineteenth set (session 5)
        ("Affects every correspondent, not specific addresses.", "only_some", False),
        ("le mail che mando ai clienti con indirizzo @studioverdi.it tornano tutte indietro, agli "
         "altri invece arrivano", "only_some", True),
        ("ciao devo mandare un preventivo urgente e outlook nn me lo manda!!!", "direction",
         "send"),
        # a list of facts: the error is the items that are errors
        ("Ciao, vi scrivo per la casella ordini@garcia.example\n- da stamattina non invia e non "
         "riceve piu\n- smtp è il vostro, smtp.example.net porta 587\n- errore in webmail: "
         "Impossibile connettersi al server IMAP: AUTHENTICATE failed", "error",
         "errore in webmail: Impossibile connettersi al server IMAP: AUTHENTICATE failed"),
        ('En el iphone pone: No se puede obtener el correo. La contraseña de la cuenta "tienda" '
         "es incorrecta.", "error", 'La contraseña de la cuenta "tienda" es incorrecta.'),
    ],
)  # fmt: skip
def test_readings_found_by_independent_sets(said: str, field: str, value: str) -> None:
    assert getattr(read(said, classify=False), field) == value


# Found by a seventeenth set of independent scripted customers (session 5).
def test_my_own_dot_com_is_no_domain() -> None:
    said = "registrar el nombre de mi floreria en internet, para tener mi punto com como todos"
    assert read(said, classify=False).hosts == ()


@pytest.mark.parametrize(
    ("said", "state"),
    [
        ("rossi-srl.example has been throwing 503s since about 7 this morning, front page and "
         "wp-admin both. FTP to the same host times out too.", "details"),  # the website
        ("desde que me instalaron el Norton, el Outlook no me deja recibir. ¿Ustedes me pueden "
         "configurar el Norton para que deje pasar el correo?", "out_of_scope"),
        ("sul computer nuovo che mi ha sistemato mio nipote non mi arrivano piu le mail da tre "
         "giorni, sul vecchio andava tutto bene", "email_mailbox"),  # a mail problem: webmail
    ],
)  # fmt: skip
def test_openings_of_a_seventeenth_set(chat: Chat, said: str, state: str) -> None:
    chat.say(said)
    assert chat.state == state, chat.text


def test_the_address_to_create_beside_the_one_we_have(chat: Chat) -> None:
    chat.say("vorrei una mail per la ragazza nuova del salone")
    assert chat.state == "admin_mailbox", chat.text
    chat.say(
        "Noi abbiamo quella del salone che è info@example.com, per lei farei sofia@example.com"
    )
    assert chat.asking == "description", chat.text
    chat.choose("none")
    assert "sofia@example.com" in chat.text and "info@example.com" not in chat.text, chat.text


def test_the_account_a_program_uses_elsewhere_is_another_provider_s(chat: Chat) -> None:
    chat.say(
        "El programa de facturacion ha dejado de mandar las facturas desde que cambie la "
        "contraseña. La cuenta que tiene puesta es asesoria.benitez@yahoo.es"
    )
    assert chat.state == "out_of_scope", chat.text


def test_a_program_without_its_name_and_its_name_said_after(chat: Chat) -> None:
    chat.say("non mi arriva più niente su merceria@example.com, neanche in webmail")
    chat.choose("no")  # every address
    assert chat.asking == "client", chat.text
    chat.say("uso il programma che c'era gia nel computer, Posta si chiama, quello con la bustina")
    assert chat.asking == "error_text", chat.text


# Found by an eighteenth set of independent scripted customers (session 5).
def test_the_customer_s_words_after_a_pasted_bounce_are_read() -> None:
    said = (
        "Un proveedor no nos puede escribir, le rebota esto:\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<compras@garcia.example>\n"
        "<<< 552 5.2.2 <compras@garcia.example>: Recipient address rejected: Mailbox full\n\n"
        "El buzon NO esta lleno, en la webmail veo 300 MB de 2 GB. Y en la webmail tampoco "
        "entra nada desde el martes."
    )
    r = read(said, classify=False)
    assert r.error is not None and "lleno" not in r.error
    assert r.webmail == "fails"


@pytest.mark.parametrize(
    "said",
    [
        "ciao non mi arrivano piu le mail su gmail, mariagrazia.pinna61@gmail.com, da tre giorni",
        "la casella ordini@termoidraulicafabbri.it non riceve da stamattina",
        "Hi, the lawyer's gmail avv.ferri.studio@gmail.com can't send to one of our clients",
    ],
)
def test_a_mailbox_elsewhere_named_in_the_opening_ends_there(chat: Chat, said: str) -> None:
    chat.say(said)
    assert chat.state == "out_of_scope", chat.text


def test_a_supplier_s_address_in_the_opening_is_no_mailbox(chat: Chat) -> None:
    chat.say("il mio fornitore fornitore@gmail.com non riceve le mie mail da ieri")
    assert chat.asking == "mailbox", chat.text


@pytest.mark.parametrize(
    ("said", "state"),
    [
        ("URGENT no emails since this morning in the shop!! actually nothing works not even "
         "google, the modem has a red light. can u fix it quick pls", "out_of_scope"),
        ("no puedo mandar correos desde oficina@example.com con el Outlook, en el servidor de "
         "salida tengo puesto smtp.movistar.es creo, me lo dejó así el técnico de Movistar "
         "cuando vino a poner la fibra", "out_of_scope"),  # our SMTP? not: smtp_elsewhere
    ],
)  # fmt: skip
def test_openings_of_an_eighteenth_set(chat: Chat, store: SqlStore, said: str, state: str) -> None:
    chat.say(said)
    assert chat.state == state, chat.text
    if "movistar" in said:
        assert "Firewall" not in chat.text and "firewall" not in chat.text, chat.text


def test_an_answer_to_the_webmail_question_is_no_request_about_the_connection(
    chat: Chat,
) -> None:
    chat.say("i am not getting my emails since yesterday, giuseppe.rossi@example.org")
    assert chat.asking == "webmail_fails", chat.text
    chat.say("my nephew showed me how to open it on the computer in the internet page, there is "
             "nothing new there either")  # fmt: skip
    assert chat.asking == "addresses", chat.text


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("Tuesday 17th, 10:12 per their log - no, 10:21, sorry", datetime(2026, 11, 17, 10, 21)),
        ("ieri verso le 3 del pomeriggio... no scusi, mi dice che erano le 4 passate",
         datetime(2026, 11, 19, 16, 0)),
        ("el miercoles sobre las 12:30. Perdon, fue el jueves, el miercoles no vine",
         datetime(2026, 11, 19, 12, 30)),
    ],
)  # fmt: skip
def test_a_moment_corrected_keeps_what_the_correction_leaves_out(
    chat: Chat, store: SqlStore, said: str, moment: datetime
) -> None:
    chat.say("nothing arrives at info@example.org since this morning, not even in webmail")
    for answer in ("with everyone", "only webmail", "there is no error", "anna@rossi-srl.example"):
        chat.say(answer)
    assert chat.asking == "examples.subject", chat.text
    chat.say("Fattura 42")
    chat.say(said)
    assert chat.asking == "examples.more", chat.text
    chat.choose("no")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert ticket["examples"][0]["sent_at"] == moment.replace(tzinfo=ROME).isoformat(
        timespec="minutes"
    )


def test_the_mailbox_outside_the_brackets_and_the_one_that_stays(chat: Chat) -> None:
    chat.say("el correo de la oficina hace cosas raras")
    chat.say("administracion@example.org (pedidos@example.org creo q tb, pero sobre todo admin)")
    assert chat.asking == "direction", chat.text
    chat.say("/restart")
    chat.choose("mailbox_admin")
    chat.choose("delete")
    chat.say("marco.villa@example.org. no aspetti, quella la teniamo ancora un mese. Quella da "
             "cancellare è andrea.conti@example.org")  # fmt: skip
    assert chat.asking == "description", chat.text


def test_everyone_said_where_the_addresses_are_asked(chat: Chat) -> None:
    chat.say("Casella ufficio@example.com. Non parte e non arriva niente, neanche da webmail, "
             "solo con gmail. SMTP è il vostro, smtp.example.net")  # fmt: skip
    if chat.state == "email_scope":
        chat.choose("yes")
    assert chat.state == "email_addresses", chat.text  # "which ones?"
    chat.say("no, con chiunque. anche le mail interne tornano indietro")
    assert chat.asking != "addresses", chat.text


def test_an_abbreviated_subject_in_the_example(chat: Chat) -> None:
    chat.say("non parte niente da ufficio@example.com, neanche da webmail, con tutti")
    chat.say("sì")  # our SMTP server
    chat.say("solo webmail")
    chat.say("nessun errore")
    chat.say('es. ufficio@example.com -> l.martini@studiomartini.it, ogg. "preventivo infissi", '
             "stamattina alle 9:15")  # fmt: skip
    assert chat.asking == "examples.more", chat.text


def test_two_topics_named_are_asked_about(chat: Chat) -> None:
    chat.say("Hola, tengo un problema con lo de la web y el correo y no sé bien cómo explicarlo")
    assert chat.asking == "topic" and chat.state == "clarify", chat.text
    assert chat.choices[:2] == ["hosting", "email"], chat.choices


def test_the_other_way_failing_too_makes_both(chat: Chat, store: SqlStore) -> None:
    chat.say("non mi partono le mail da stamattina da chiara@example.org")
    chat.say("sì, smtp.example.net")
    assert chat.asking == "webmail_fails", chat.text
    chat.say("non parte neanche da li. e adesso che ci guardo non mi arriva più niente neanche "
             "in entrata")  # fmt: skip
    assert chat.asking == "addresses", chat.text
    assert case_of(chat, store).direction == "both"


# Found by a nineteenth set of independent scripted customers (session 5).
@pytest.mark.parametrize(
    ("said", "asking"),
    [
        ("Good morning. My grandson says I must change the password of my e-mail because "
         "somebody could have it, I had a strange message from the bank", "mailbox"),
        ("Ciao, vi scrivo per la casella ordini@garcia.example. Non invia e non riceve da "
         "stamattina, neanche da webmail, con tutti. Esempio: da ordini@garcia.example a "
         "luca.ferraro@example.com", "smtp_is_provider"),  # the mailbox is ordini@
    ],
)  # fmt: skip
def test_openings_of_a_nineteenth_set(chat: Chat, store: SqlStore, said: str, asking: str) -> None:
    chat.say(said)
    assert chat.asking == asking, chat.text
    if asking == "mailbox":
        assert chat.state == "password_mailbox", chat.text
    else:
        assert case_of(chat, store).mailbox == "ordini@garcia.example"


def test_only_one_at_the_addresses_question(chat: Chat) -> None:
    chat.say(
        "ciao devo mandare un preventivo urgente e outlook nn me lo manda, commerciale@example.org"
    )
    chat.say("sì")  # our SMTP server
    chat.say("provato anche dalla webmail e niente, nn parte neanche li")
    assert chat.state == "email_scope", chat.text
    chat.say("mi sa solo con uno")
    assert chat.state == "email_addresses", chat.text


def test_a_quoted_title_in_the_example_s_sentence_is_its_subject(chat: Chat) -> None:
    chat.say(
        "admin@garcia.example can't send since Monday, not even in webmail, with everyone. We "
        'use webmail only. Example: Mon 16/11 at 08:15 I sent "Pedido 3391" from '
        "admin@garcia.example to compras@proveedor-sur.es, never left the outbox."
    )
    chat.say("yes, smtp.example.net")
    chat.say("no error")
    assert chat.state == "summary", chat.text
    assert "Pedido 3391" in chat.text


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("yesterday evening, after 6 sometime, maybe quarter past", datetime(2026, 11, 19, 18, 15)),
        ("antier en la mañana, como a las 10", datetime(2026, 11, 18, 10, 0)),
    ],
)
def test_times_of_a_twentieth_set(said: str, moment: datetime) -> None:
    assert parse_sent_at(said, NOW, ROME) == moment.replace(tzinfo=ROME)


@pytest.mark.parametrize(
    ("said", "state"),
    [
        ("Hey y'all, I need to get rid of the mailbox for Darlene, she retired. Actually wait no, "
         "the boss says keep hers for now. What we need is a NEW one for the new girl Kayleigh, "
         "kayleigh@rossi-srl.example", "details"),  # create, with the mailbox: anything else?
        ("Salve dovrei cambiare la password della casella di Giulia, giulia.ferri@example.org... "
         "anzi no scusi, non cambiare: va proprio cancellata", "details"),
        ("Dear Sir/Madam, our clinic software MediSoft is not sending the appointment reminders "
         "from clinic.reception@hotmail.com since we changed its password last week.",
         "out_of_scope"),
    ],
)  # fmt: skip
def test_openings_of_a_twentieth_set(chat: Chat, store: SqlStore, said: str, state: str) -> None:
    chat.say(said)
    assert chat.state == state, chat.text
    if state == "details":
        assert case_of(chat, store).action == ("create" if "NEW" in said else "delete")


def test_the_test_sent_to_my_own_gmail_is_the_example(chat: Chat) -> None:
    chat.say(
        "Nothing in or out on info@garcia.example since about 8, webmail the same, all addresses. "
        "We use webmail only. Error: Message could not be sent. Test I sent this morning at 09:15 "
        'from info@garcia.example to my own iain.mackay@gmail.com, subject "test 3", never arrived.'
    )
    chat.say("yes, smtp.example.net")
    assert chat.state == "summary", chat.text
    assert "iain.mackay@gmail.com" in chat.text


def test_another_smtp_server_named_at_its_question_beside_the_fibre(chat: Chat) -> None:
    chat.say("outlook nn manda le mail da lunedi, commerciale@example.org")
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say("no. cioè boh... ora che ci penso c'è scritto smtp.fastwebnet.it, l'ha cambiato il "
             "tecnico di fastweb quando ha messo la fibra")  # fmt: skip
    assert chat.state == "out_of_scope", chat.text
    assert "smtp.example.net" in chat.text  # the SMTP explanation, not the connection's


@pytest.mark.parametrize(
    ("said", "delete", "password"),
    [
        ("anzi no, non cancellare, cambia la password", False, True),
        ("va proprio cancellata", True, False),
        ("don't delete it", False, False),
        ("non cambiare la password", False, False),
        ("I must change the password of my e-mail", False, True),
    ],
)
def test_a_request_in_so_many_words_and_its_denial(said: str, delete: bool, password: bool) -> None:
    from flows.engine import _NEW_PASSWORD
    from flows.reading import DELETE_MAILBOX

    assert (bool(DELETE_MAILBOX.search(said)), bool(_NEW_PASSWORD.search(said))) == (
        delete,
        password,
    )


def test_a_time_said_in_short_words_is_found_in_a_sentence() -> None:
    said = (
        "mia cugina Carla, carla.ricci52@libero.it, mi ha detto che mi ha scritto ieri sera "
        "verso le nove"
    )
    assert find_sent_at(said, NOW, ROME) == datetime(2026, 11, 19, 21, 0, tzinfo=ROME)


@pytest.mark.parametrize(
    ("said", "state"),
    [
        ("hi, since we switched to fastweb fibre on monday nobody in the office can send from "
         "info@example.com in outlook, receiving is fine. the fastweb guy set the outgoing server "
         "to smtp.fastwebnet.it when he installed the router", "out_of_scope"),
        ("hello, about marco.venturi@example.com - he doesn't work with us anymore since "
         "september. what's the procedure?", "details"),  # ours, to delete: not another provider's
        ("Our practice management software sends the reminders by email from "
         "studiopoli.dentista@libero.it. Since I changed its password they don't go out, the "
         "software shows:\n\nSMTP error: 535 5.7.0 Authentication failed", "out_of_scope"),
    ],
)  # fmt: skip
def test_openings_of_a_twenty_first_set(chat: Chat, said: str, state: str) -> None:
    chat.say(said)
    assert chat.state == state, chat.text
    if "fastwebnet" in said:
        assert "smtp.example.net" in chat.text, chat.text  # another SMTP server: not the fibre


def test_the_action_corrected_at_the_mailbox_question(chat: Chat, store: SqlStore) -> None:
    chat.say("Ciao, vorrei creare una nuova casella per il negozio")
    assert chat.state == "admin_mailbox", chat.text
    chat.say(
        "ah no scusa mi sono confuso, non è da creare ma da cancellare! è negozio2@garcia.example"
    )
    assert case_of(chat, store).action == "delete"


def test_a_date_inside_the_quoted_subject_is_not_when_it_was_sent(chat: Chat) -> None:
    chat.say(
        "La casella segreteria@example.org non manda e non riceve, anche da webmail, con tutti. "
        "Usiamo solo la webmail. Il server in uscita è smtp.example.net. Nessun errore. Esempio: "
        "stamattina alle 8.15 da segreteria@example.org a avv.neri@studioneri.it, oggetto "
        '"Convocazione assemblea 25/11", non è partita.'
    )
    assert chat.state == "summary", chat.text
    assert "20 novembre 2026, 08:15" in chat.text, chat.text


def test_the_mailbox_to_keep_beside_the_one_to_close(chat: Chat, store: SqlStore) -> None:
    chat.say("There is an old address of my late husband that we dont use, I would like it closed")
    assert chat.state == "admin_mailbox", chat.text
    chat.say("it is giorgio.conti@example.com . the other one anna.conti@example.com is mine and I "
             "want to keep it!!")  # fmt: skip
    assert case_of(chat, store).mailbox == "giorgio.conti@example.com"


def test_a_change_of_mind_to_a_new_password(chat: Chat) -> None:
    chat.say("hey, need to delete the mailbox of marco.bianchi@rossi-srl.example, he left... "
             "actually no wait, his boss wants to keep reading it, so just change the password "
             "on it")  # fmt: skip
    assert chat.state == "details", chat.text
    assert "password" in chat.text.lower() or chat.asking == "description"


def test_a_person_asked_for_with_what_it_is_about_keeps_it(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Buenas, prefiero hablar con una persona por favor. Es por la migracion de los correos de "
        "nuestra empresa desde otro proveedor y es largo de explicar por aqui."
    )
    assert chat.state == "done", chat.text  # handed over at once, with what it is about
    assert "migracion" in case_of(chat, store).description


def test_a_domain_given_as_a_pattern_is_no_domain(chat: Chat) -> None:
    chat.say("hi, how do i buy a name for a website with you? like www.something.com")
    assert chat.asking == "domain", chat.text


def test_a_program_named_after_the_word_program(chat: Chat) -> None:
    chat.say("non mi arriva piu niente su merceria@example.com, neanche in webmail")
    chat.choose("no")  # every address
    chat.say("il programma Posta che c'era gia nel computer, e la webmail quando c'e mio nipote")
    assert chat.asking == "error_text", chat.text


def test_asking_how_to_set_up_the_antivirus_is_its_request(chat: Chat) -> None:
    chat.say(
        "Since Norton 360 updated itself on Wednesday, Outlook shows this every time I send or "
        "receive:\n\nSending and receiving reported error (0x800CCC0E): Outlook cannot "
        "synchronize subscribed folders for info@example.com. Error: Cannot connect to the "
        "server.\n\nIf I turn Norton off it all works again. How do I set up Norton so it stops "
        "blocking your servers?"
    )
    assert chat.state == "out_of_scope", chat.text


# Found by a twenty-fifth and a twenty-sixth set of independent scripted customers (session 6).
@pytest.mark.parametrize(
    "said",
    [
        "Buenas. En el Outlook de la oficina tengo dos cuentas: info@garcia.example, que va "
        "perfecta, y una de gmail personal, jgarcia.obras@gmail.com, que desde ayer no descarga "
        "nada y me pide la contraseña todo el rato. La que falla es la de gmail.",
        "buongiorno, in outlook ho sia la casella dell'ufficio ufficio@rossi-srl.example sia la "
        "mia gmail personale marco.ferri.geom@gmail.com. Quella dell'ufficio va benissimo, la "
        "gmail invece da ieri non scarica piu niente. come si risolve?",
    ],
)
def test_the_account_that_fails_beside_ours_that_works(chat: Chat, said: str) -> None:
    chat.say(said)
    assert chat.state == "out_of_scope", chat.text
    assert "gmail.com" in chat.text, chat.text


def test_the_first_moment_of_an_answer_that_tells_a_retry_too(chat: Chat, store: SqlStore) -> None:
    email_to_example(chat, "giuseppe.marini@example.com", "send")
    chat.say("a mia figlia, laura.marini@libero.it")
    chat.say("foto compleanno della nonna")
    chat.say("Ieri sera verso le otto e mezza. Stamattina ho riprovato ma niente")
    assert chat.asking == "examples.more", chat.text
    assert case_of(chat, store).examples[0].sent_at.startswith("2026-11-19T20:30")


def test_webmail_that_shows_a_quoted_error_fails() -> None:
    r = read(
        'la webmail invece dice "Errore di autenticazione" anche se la password e quella giusta',
        classify=False,
    )
    assert r.webmail == "fails"


def test_an_error_quoted_for_each_way_is_kept_whole() -> None:
    said = (
        'Thunderbird in ricezione dice "Accesso al server imap.example.net non riuscito" e in '
        'invio "Invio del messaggio non riuscito. Il server smtp.example.net ha rifiutato '
        'l\'autenticazione", la webmail dice "Errore di autenticazione".'
    )
    error = read(said, classify=False).error
    assert error is not None
    assert "imap.example.net" in error and "rifiutato l'autenticazione" in error


def email_to_example(chat: Chat, mailbox: str, direction: str) -> None:
    """Walk the e-mail flow with button answers to the example's first question left open."""
    chat.choose("email")
    chat.say(mailbox)
    chat.choose(direction)
    if direction == "send":
        chat.choose("yes")  # through our SMTP server
    chat.choose("yes")  # fails in webmail too
    chat.choose("no")  # every address
    chat.choose("webmail")
    chat.choose("none")  # no error message
    assert chat.asking == "examples.recipient" if direction == "send" else "examples.sender"


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("La cuenta pedidos@garcia.example no recibe los correos de un cliente concreto, "
         "ventas@distribucionesnorte.es, desde el miércoles. De otros remitentes llega todo "
         "normal.", "only_some", True),
        ("since Monday we (info@garcia.example) are not receiving emails from our supplier "
         "ordini@fornituregamma.it, all other mails come in fine.", "only_some", True),
        ("ola q tal, el correo de la tienda no va ni p enviar ni p recibir desde esta mañana",
         "direction", "both"),
        # (sets 27 and 28)
        ("el programa dice 'Autenticación fallida'. Que tengo que hacer?", "error",
         "Autenticación fallida"),
        ("Outlook non scarica più la posta di segreteria@rossi-srl.example, mi esce questa "
         "finestra:\n\nErrore (0x800CCC0E) durante l'attività di invio e ricezione: Impossibile "
         "connettersi al server.\n\nHo già riavviato il pc ma niente", "direction", "receive"),
        ("le mail che mando da acquisti@rossi-srl.example verso un nostro fornitore mi tornano "
         "tutte indietro.", "direction", "send"),
        ("The little box of TIM has a red light blinking.", "signals",
         frozenset({"internet_connection", "internet_down"})),
        ("solo ahi, por la pagina esa en el ordenador. no tengo outlook ni nada de eso",
         "only_webmail", True),
        ("provato adesso dal sito webmail.example.net: entro ma le mail nuove non ci sono e se "
         "ne mando una mi da errore anche li", "webmail", "fails"),
        ("provato adesso dal sito webmail.example.net: entro ma le mail nuove non ci sono e se "
         "ne mando una mi da errore anche li", "error", None),
        ("Sulla pagina della webmail ci sono entrato e li le mail ci sono tutte, anche quella di "
         "mia figlia di ieri", "webmail", "works"),
        ("Outlook me dice esto:\nError de envío (0x80042109): Outlook no puede conectarse al "
         "servidor de correo saliente (SMTP).", "direction", "send"),  # the error's one way
        # (sets 33 and 34)
        ("ciao, info@example.org non riceve da stamattina. ricezione, non invio.", "direction",
         "receive"),
        ("non partono le mail ai fornitori. anzi no aspetta, non arrivano neanche le loro.. tutte "
         "e due allora", "direction", "both"),
        ("Succede sia da Outlook che dalla webmail, ho provato tutte e due.", "direction", None),
        # (sets 31 and 32)
        ("Il client usa smtp.example.net e l'errore è identico dalla webmail, quindi il pc non "
         "c'entra", "direction", None),
        ("Desde ayer por la tarde no sale ningún correo desde facturacion@garcia.example. El "
         "rebote", "direction", "send"),
        ("no me llega nada y no sale ningún error", "direction", "receive"),
        ("il gestionale non spedisce piu le ricevute ai pazienti", "direction", "send"),
        # (sets 29 and 30)
        ("es recepcion@example.org, la de la recepcion", "direction", None),  # the desk
        ("problemas en la recepción de correos desde ayer", "direction", "receive"),
        ("hiya, thunderbird won't send emails, it stays on 'Sending message...' forever and then "
         "says\nSending of the message failed.\nThe message could not be sent because the "
         "connection to Outgoing server (SMTP) smtp.example.net timed out. Try again.", "error",
         "Sending of the message failed.\nThe message could not be sent because the connection "
         "to Outgoing server (SMTP) smtp.example.net timed out. Try again."),
        ("cant send or receive anything on marco@garcia.example. the iphone keeps saying\nCannot "
         "Get Mail\nThe connection to the server failed.\nand the webmail wont let me log in "
         "either", "error", "Cannot Get Mail\nThe connection to the server failed."),
        ("Hola, me sale esto en el Outlook cada vez que le doy a enviar y recibir:\n\nque hago??",
         "direction", None),
        ("uso Mail, quello del Mac, e ogni tanto la webmail", "program",
         "Apple Mail (mail quello del mac)"),
        ("buongiorno non vedo piu le mail sul computer da ieri", "direction", "receive"),
    ],
)  # fmt: skip
def test_readings_found_by_sets_25_to_30(said: str, field: str, value: Any) -> None:
    assert getattr(read(said, classify=False), field) == value


@pytest.mark.parametrize(
    ("said", "state"),
    [
        ("buenas tardes señorita. mi nieto dice que tengo que cambiar la contraseña del correo "
         "por que me salen correos enviados que yo no he mandado. mi correo es "
         "carmen.lopez@example.com. muchas gracias", "details"),  # the password, for that box
        ("Hello, I'm the accountant at Rossi srl, we have a problem with the mail "
         "contabilita@rossi-srl.example", "email_direction"),
        ("Buenas, necesito gestionar un buzon de correo de la empresa", "admin_action"),
        ("Hi, outbound issue on segreteria@example.org. Outlook 2016 gives: 550 5.7.1 Relaying "
         "not permitted\n\nFYI the outgoing server in that profile is smtp.vodafone.it (the one "
         "that came with our fiber line), we never used smtp.example.net for sending.",
         "out_of_scope"),
        # (sets 27 and 28)
        ("Hola!! tengo una tienda de ropa y uso el correo modasbea@hotmail.com, desde ayer no "
         "puedo mandar correos a mis clientas, me sale q la cuenta esta bloqueada.",
         "out_of_scope"),
        ("Buenas, el programa de gestion de la clinica manda los recordatorios de citas por "
         "email con la cuenta clinicadentalsonrisa@gmail.com y desde que cambie la contraseña "
         "ya no manda nada, el programa dice 'Autenticación fallida'. Que tengo que hacer?",
         "out_of_scope"),
        ("hello i cant get into my email mario.rossi51@libero.it since yesterday, it says wrong "
         "password but i never changed it. can you help me please", "out_of_scope"),
        ("Good morning, since last evening I do not receive the emails and I cannot open even "
         "the newspaper on the computer. The little box of TIM has a red light blinking.",
         "out_of_scope"),
        ("hi, we're moving our company mail (bellini-arredi.it, about 20 mailboxes, 15 years of "
         "old mails) to you next month. its a long story and I have lots of questions, can I "
         "talk to a real person please?", "done"),
        # (sets 33 and 34)
        ("Hi :) quick question, how do I make Outlook automatically move all the newsletters "
         "into a separate folder? And how do I put our logo in the signature?", "out_of_scope"),
        ("Salve, uso Outlook per la posta del negozio ferramenta@garcia.example e non capisco "
         "come si fanno le regole per spostare le fatture in una cartella. Me lo spiegate voi?",
         "out_of_scope"),
        ("hello my email doesnt work anymore. my grandson set it all up but he lives in Milan now",
         "email_mailbox"),
        ("Buongiorno sono Giuseppe ho 78 anni e mi si è bloccata la posta sul computer, mio "
         "nipote è a Milano e non so come fare", "email_mailbox"),  # a mail problem: asked
        # (sets 31 and 32)
        ("URGENTE!!! la web de la empresa no carga, sale error 503 desde hace una hora",
         "hosting_domain"),
        ("Buongiorno, il gestionale dello studio non spedisce piu le ricevute ai pazienti da "
         "quando ho cambiato la password della casella che usa, dr.lombardi.studio@hotmail.it. "
         "Potete sistemarlo voi?", "out_of_scope"),
        # (sets 29 and 30)
        ("Hola, me sale esto en el Outlook cada vez que le doy a enviar y recibir:\n\nError en la "
         "tarea 'pedidos@rossi-srl.example - Recibiendo' notificado (0x800CCC0E): 'No se puede "
         "conectar al servidor.'\n\nque hago??", "email_webmail"),  # the receiving task failed
        ("Buongiorno, devo fare una modifica alle caselle dell'ufficio, una collega è andata in "
         "pensione", "admin_action"),
        ("Hello, office manager at Studio Neri here. we need to sort out one of the mailboxes of "
         "our staff, can you help", "admin_action"),
        ("URGENT our shop website is down, this is all it shows:\n\nError establishing a database "
         "connection\n\nit's www.garcia.example, started around 10 this morning", "details"),
    ],
)  # fmt: skip
def test_openings_of_sets_25_to_30(chat: Chat, said: str, state: str) -> None:
    chat.say(said)
    assert chat.state == state, chat.text


def test_a_change_of_mind_in_the_answer_to_create_or_delete(chat: Chat, store: SqlStore) -> None:
    chat.say("Buenas, necesito gestionar un buzon de correo de la empresa")
    chat.say("crear uno... no perdona, me he liado. Borrar, borrar el de antonio que se jubilo")
    assert chat.asking == "mailbox", chat.text
    assert case_of(chat, store).action == "delete"


def test_which_addresses_answered_with_only_a_pronoun_is_asked_again(chat: Chat) -> None:
    chat.say("on info@example.org we dont receive any email from our supplier Kowalski Trans, "
             "other emails are coming normal")  # fmt: skip
    chat.choose("yes")  # fails in webmail too
    assert chat.asking == "addresses", chat.text
    chat.say("yes only from them")
    assert chat.asking == "addresses", chat.text
    chat.say("faktury@kowalski-trans.pl")
    assert chat.asking == "client", chat.text


def test_open_one_after_the_domain_check(chat: Chat) -> None:
    chat.say("our mails keep ending up in spam. Can you check our SPF and DKIM pls?")
    chat.say("garcia.example")
    assert chat.asking == "dns_ticket", chat.text
    chat.say("yes please open one, I don't understand these records at all")
    assert chat.asking != "dns_ticket", chat.text


def test_a_callback_asked_for_in_the_details_is_noted(chat: Chat, store: SqlStore) -> None:
    chat.say("il nostro contratto di assistenza standard scade il 31 dicembre. vorremmo "
             "rinnovarlo ma passando al premium, quanto costa la differenza?")  # fmt: skip
    assert chat.asking == "description", chat.text
    chat.say("Siamo il dominio example.com, referente dott.ssa Guidi. Se possibile preferiamo "
             "essere richiamati al telefono.")  # fmt: skip
    assert chat.asking == "confirm", chat.text
    chat.choose("yes")
    assert store.tickets()[0]["category"] == "sales_administration"


@pytest.mark.parametrize(
    "answer",
    [
        "volevo crearne una per chi la sostituisce... anzi no, aspetti, per adesso eliminate solo "
        "la sua, quella nuova la chiedo la settimana prossima",
        "well I thought we needed a new one for the intern but no, forget that, he'll use the "
        "shared one. we need to DELETE one, the guy left the company",
    ],
)
def test_create_then_delete_in_one_answer(chat: Chat, store: SqlStore, answer: str) -> None:
    chat.say("we need to sort out one of the mailboxes of our staff, can you help")
    chat.say(answer)
    assert chat.asking == "mailbox", chat.text
    assert case_of(chat, store).action == "delete"


def test_the_mailbox_corrected_to_another_provider_s(chat: Chat) -> None:
    chat.say("hi my email isnt working since yesterday, i dont receive anything")
    chat.say("negozio@example.com... no sorry wait, that one is fine, its the other one, the "
             "hotmail: giorgia.m84@hotmail.it")  # fmt: skip
    assert chat.state == "out_of_scope", chat.text


def test_a_bounce_s_sorry_is_no_correction(chat: Chat, store: SqlStore) -> None:
    chat.say("la casella info@example.com nn manda e nn riceve niente, ne con thunderbird ne "
             "dalla webmail")  # fmt: skip
    chat.say("si, smtp.example.net")
    chat.choose("no")  # every address
    chat.say("quando mando mi torna indietro questo:\n\nThis is the mail system at host "
             "smtp.example.net.\nI'm sorry to have to inform you that your message could not\n"
             "be delivered to one or more recipients.")  # fmt: skip
    assert case_of(chat, store).direction == "both"


def test_a_person_asked_for_in_a_sideways_answer(chat: Chat) -> None:
    chat.say("buongiorno non vedo piu le mail sul computer da ieri")
    chat.say("annamaria.conti@example.com")
    chat.say("non lo so cos'è, io clicco sull'icona della busta e basta. Guardi, c'è una persona "
             "con cui posso parlare? Io con queste cose non sono pratica")  # fmt: skip
    assert chat.asking == "description" or chat.state == "done", chat.text


def test_the_subject_of_the_message_that_bounced(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "La cuenta pedidos@garcia.example no recibe correo de un proveedor concreto "
        "(facturacion@distribucionesnorte.es). El resto entra normal. Lo he comprobado en "
        'Thunderbird y en la webmail. El mensaje que rebotó era "Factura F-2026-0934", '
        "enviado ayer 19/11 a las 15:42."
    )
    case = case_of(chat, store)
    example = case.examples[0] if case.examples else case.draft
    assert example is not None and example.subject == "Factura F-2026-0934", chat.text


def test_his_address_is_the_other_party_s(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Our mailbox amministrazione@garcia.example is not getting mails from one of our clients. "
        'His address is p.moretti@gmail.com, subject was "F24 novembre", he sent it wednesday '
        "at 10:15 in the morning. Its not in the webmail either."
    )
    case = case_of(chat, store)
    assert case.mailbox == "amministrazione@garcia.example"
    example = case.examples[0] if case.examples else case.draft
    assert example is not None and example.sender == "p.moretti@gmail.com", chat.text


def test_i_guess_yours_answers_the_smtp_question(chat: Chat) -> None:
    chat.say("el correo de la tienda no va, ni pa mandar ni pa recibir")
    chat.say("tienda@example.org")
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say("ni idea, me lo configuro mi sobrino con lo que venia en vuestro correo de "
             "bienvenida, supongo que el vuestro")  # fmt: skip
    assert chat.asking == "webmail_fails", chat.text


def test_sending_the_bounce_names_the_example_s_recipient(chat: Chat, store: SqlStore) -> None:
    email_to_example(chat, "mario@example.com", "send")  # no error given: the recipient asked
    chat2 = Chat(chat.desk, user="bounced", language="it")
    chat2.start()
    chat2.choose("email")
    chat2.say("mario@example.com")
    chat2.choose("send")
    chat2.choose("yes")  # through our SMTP server
    chat2.choose("yes")  # fails in webmail too
    chat2.choose("no")  # every address
    chat2.choose("webmail")
    chat2.say(
        "This is the mail system at host smtp.example.net.\n\nI'm sorry to have to inform you "
        "that your message could not\nbe delivered.\n\n"
        "Final-Recipient: rfc822; fidi@bancadelpo.it\n"
        "Original-Recipient: rfc822;fidi@bancadelpo.it\nAction: failed"
    )
    assert chat2.asking == "examples.subject", chat2.text  # the recipient is the bounce's
    chat2.say(
        "Ordine cancelleria novembre, l'avevo mandata ieri verso le tre e mezza del pomeriggio"
    )
    assert chat2.asking == "examples.more", chat2.text  # the time said with the subject
    chat2.choose("no")
    assert "fidi@bancadelpo.it" in chat2.text and "15:30" in chat2.text, chat2.text
    assert case_of(chat2, store).direction == "send"  # the bounce's "sorry" corrects nothing


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("my grandson says he sent me the photos on sunday but i never got them", "receive"),
        ("I didn't get an error, it just sits there", None),
        ("no se como se mandan las fotos de los nietos, ¿me pueden enseñar?", None),
        ("pues lo de siempre hijo, lo que salia antes en la pantalla", None),
    ],
)
def test_ways_of_mail_that_are_no_fault(said: str, direction: str | None) -> None:
    # Not knowing how to send, or what showed on the screen, names no way that fails.
    assert read(said, classify=False).direction == direction


def test_not_there_either_after_opening_webmail_is_a_failure() -> None:
    said = (
        "ok mio nipote mi ha aperto webmail.example.net sul computer, ho messo la stessa "
        "password e non entra neanche li, dice password errata"
    )
    assert read(said, classify=False).webmail == "fails"


@pytest.mark.parametrize(
    ("said", "asking", "topic"),
    [
        (  # an account named only in the program's popup: another provider's
            "hola. desde el ipad no puedo ver el correo, me sale esto:\n\nNo se puede obtener "
            'el correo\nLa contraseña de la cuenta "amparo.ferrer@telefonica.net" es '
            "incorrecta.\n\ny la contraseña es la de siempre",
            "another",  # out of scope at once: the provider that hosts telefonica.net
            "email",
        ),
        (  # a password already changed, and now the program does not send: a mail problem
            "ho cambiato la password di fatture@example.com e adesso il gestionale nn manda più "
            "le fatture ai clienti",
            "smtp_is_provider",
            "email",
        ),
        (  # "a change in our mailboxes": mailbox administration, which one asked
            "Hola, quería hacer un cambio en los buzones de correo de la empresa "
            "(rossi-srl.example), ¿lo puedo pedir por aquí?",
            "action",
            "mailbox_admin",
        ),
    ],
)
def test_openings_that_named_their_request_indirectly(
    chat: Chat, store: SqlStore, said: str, asking: str, topic: str
) -> None:
    chat.say(said)
    assert chat.asking == asking, chat.text
    assert case_of(chat, store).topic == topic


@pytest.mark.parametrize(
    ("said", "only_some"),
    [
        ("Los correos que mando a clientes con hotmail rebotan todos. Con gmail no pasa.", True),
        ("no funciona ni con gmail ni con hotmail", None),
        (  # the example's "a un cliente" is not the scope: "da igual a quién" is
            "no podemos enviar NINGÚN correo, da igual a quién se lo mandemos. El último que "
            "intenté fue a un cliente, contabilidad@ferreteriamoreno.es, ayer a las 16:20.",
            False,
        ),
    ],
)
def test_which_addresses_from_the_story(said: str, only_some: bool | None) -> None:
    assert read(said, classify=False).only_some is only_some


def test_a_firewall_named_after_an_antivirus_maker_is_the_firewall() -> None:
    said = "Our Sophos XG is doing SSL inspection and breaking IMAPS to imap.example.net"
    assert read(said, classify=False).signals == frozenset({"firewall"})


def test_a_program_s_prompt_after_a_line_that_ends_with_a_colon_is_the_error() -> None:
    said = (
        "Thunderbird keeps throwing this when I check mail on admin@example.com:\n"
        "Login to server imap.example.net with username admin@example.com failed.\n"
        "[Retry] [Enter New Password] [Cancel]\n"
        "Webmail works fine with the same password btw, I just checked."
    )
    r = read(said, classify=False)
    assert r.error is not None and r.error.startswith("Login to server imap.example.net")
    assert r.webmail == "works"


def test_australian_afternoon() -> None:
    assert (
        parse_sent_at("yesterday arvo, round 4", NOW, ROME)
        .isoformat()
        .startswith("2026-11-19T16:00")
    )


def test_only_this_supplier_names_the_example_s_sender(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "One of our suppliers can't get mail through to accounts@rossi-srl.example - they "
        "forwarded me their bounce:\n"
        "Your message to accounts@rossi-srl.example couldn't be delivered.\n"
        "mx.example.net gave this error:\n"
        "550 5.7.1 Message rejected due to content restrictions (attachment type .zip not "
        "allowed)\n"
        "Original: From: dispatch@harbourfreight-au.com, Subject: Consignment note CN-44102, "
        "sent Wed 18 Nov 2026 22:40 AEDT."
    )
    chat.say("Yep, checked webmail, nothing there")
    assert chat.asking == "addresses", chat.text
    chat.say("Only this supplier as far as I know")
    assert chat.asking != "addresses", chat.text
    assert case_of(chat, store).addresses == "dispatch@harbourfreight-au.com"


def test_a_word_never_seen_is_no_request_for_a_person(chat: Chat, store: SqlStore) -> None:
    # The classifier put "ALEALE…" (one unknown 300-letter word) at 0.99 for a person: the
    # property test saw a ticket opened by it after "another problem?".
    chat.say(("ALE" * 100)[:300])
    assert chat.asking == "topic", chat.text
    assert store.tickets(chat.user) == []


@pytest.mark.parametrize(
    ("said", "webmail"),
    [
        ("Not in Outlook, not in webmail, not in junk. Regular emails arrive fine.", "fails"),
        ("they're not in the webmail", "fails"),
        ("e non ci sono nemmeno in webmail", "fails"),
        ("tampoco en la webmail", "fails"),
    ],
)
def test_missing_mail_said_by_where_it_is_not(said: str, webmail: str) -> None:
    assert read(said, classify=False).webmail == webmail


def test_other_mail_arriving_fine_says_no_direction() -> None:
    # "Regular emails arrive fine" is about the other senders, not that receiving works.
    reading = read("Not in Outlook, not in webmail. Regular emails arrive fine.", classify=False)
    assert reading.direction is None


def test_a_program_one_does_not_have_is_not_one_s_program() -> None:
    reading = read("just the webmail, I don't have outlook or anything like that", classify=False)
    assert reading.program is None
    assert reading.only_webmail


def test_the_replies_of_customers_not_arriving_is_receiving() -> None:
    said = "ricevere! mandare mando, sono le risposte dei clienti che nn arrivano"
    assert read(said, classify=False).direction == "receive"


@pytest.mark.parametrize(
    "said",
    [
        "guardi non ho tempo di fare prove, mi fa chiamare da un tecnico vero per favore?",
        "ancora nn so come la vuole chiamare... guardi, mi passa un operatore? faccio prima",
    ],
)
def test_a_person_asked_for_in_a_long_answer(chat: Chat, store: SqlStore, said: str) -> None:
    chat.say("dovremmo aprire una casella nuova per un agente commerciale che inizia a dicembre")
    chat.say(said)
    assert chat.state == "done", chat.text
    assert store.tickets(chat.user)[0]["category"] == "general"


def test_a_call_asked_for_at_anything_to_add_is_a_note(chat: Chat, store: SqlStore) -> None:
    chat.say("Quiero pasar del soporte estándar al Premium, ¿cómo se hace y cuánto cuesta?")
    assert chat.asking == "description", chat.text
    chat.say("Mejor que me llamen, al 91 555 23 41, por las mañanas")
    assert chat.asking == "confirm", chat.text


def test_the_subject_corrected_at_the_summary(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Da stamattina segreteria@example.com non invia: 535 5.7.8 authentication failed, sia "
        "da Outlook sia dalla webmail. Invio tramite smtp.example.net"
    )
    answers = {
        "addresses": "no, con qualsiasi destinatario",
        "examples.recipient": "f.bassi@bassiimpianti.it",
        "examples.subject": "F24 novembre",
        "examples.sent_at": "oggi alle 8:47",
    }
    answer(chat, answers)
    assert chat.asking == "confirm", chat.text
    chat.say("Correggo una cosa: l'oggetto esatto era 'Modello F24 novembre', il resto è giusto")
    assert chat.asking == "confirm", chat.text
    case = case_of(chat, store)
    assert case.examples[0].subject == "Modello F24 novembre"
    assert case.addresses_limited is False  # "il resto" is the rest of the summary


def test_a_bounce_s_reporting_server_names_the_only_sender(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Our mail is info@example.com. One of our suppliers says their emails to us keep "
        "bouncing since Wednesday. Everyone else gets through fine. The bounce:\n"
        "Reporting-MTA: dns; mail.hartleylogistics.co.uk\n"
        "Final-Recipient: rfc822; info@example.com\n"
        "Action: failed\n"
        "Status: 5.7.1\n"
        "Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.44] blocked"
    )
    chat.say("No, they're not in webmail either")
    assert chat.asking != "addresses", chat.text
    assert case_of(chat, store).addresses == "hartleylogistics.co.uk"


def test_opening_the_firewall_s_ports_is_the_firewall(chat: Chat) -> None:
    chat.say(
        "Can ye log in to our new Fortigate and open whatever ports outlook needs for yer "
        "servers? Since the IT fella put it in naebody in the office can send or receive."
    )
    assert chat.state == "out_of_scope", chat.text


# Found by four more sets of independent scripted customers (session 9).
@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("This morning, right before 10", datetime(2026, 11, 20, 10, 0, tzinfo=ROME)),
        ("ieri poco prima delle 5", datetime(2026, 11, 19, 17, 0, tzinfo=ROME)),
        ("tues morning, about 9ish", datetime(2026, 11, 17, 9, 0, tzinfo=ROME)),
        ("gio pomeriggio alle 3", datetime(2026, 11, 19, 15, 0, tzinfo=ROME)),
        ("yday about half 3 in the afternoon", datetime(2026, 11, 19, 15, 30, tzinfo=ROME)),
        ("Thursday last week around 4pm", datetime(2026, 11, 12, 16, 0, tzinfo=ROME)),
        ("el jueves de la semana pasada a las 4 de la tarde",
         datetime(2026, 11, 12, 16, 0, tzinfo=ROME)),
        ("giovedì della settimana scorsa alle 16", datetime(2026, 11, 12, 16, 0, tzinfo=ROME)),
    ],
)  # fmt: skip
def test_more_colloquial_dates(said: str, moment: datetime) -> None:
    assert parse_sent_at(said, NOW, ROME) == moment


def test_a_date_in_brackets_inside_a_story() -> None:
    said = "sent from accounts@example.com on Thursday last week (the 12th) around 4pm, subject"
    assert find_sent_at(said, NOW, ROME) == datetime(2026, 11, 12, 16, 0, tzinfo=ROME)


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("none of the 6 PCs in our office can get email for frontdesk@example.com", "receive"),
        ("en la webmail tampoco llegan", "receive"),
        ("probamos a mandar uno desde la webmail a mi hermana y tampoco le ha llegado", "send"),
    ],
)
def test_ways_said_with_none_and_neither(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


@pytest.mark.parametrize(
    ("said", "webmail"),
    [
        ("ni en el Outlook ni en la webmail, que al abrir la webmail me sale una pantalla roja",
         "fails"),
        ("perdón, sigo en español que es más fácil: desde el webmail tampoco va nada", "fails"),
    ],
)  # fmt: skip
def test_webmail_that_shows_a_warning_or_does_nothing(said: str, webmail: str) -> None:
    assert read(said, classify=False).webmail == webmail


def test_the_day_said_before_stays_with_the_time_said_after(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "no me llegan los correos de mi gestoria a carmen@garcia.example, en el "
        "webmail tampoco estan. Los demas correos si me llegan. No sale ningun error"
    )
    answers = {
        "addresses": "asesoria@gestoriaruiz.example",
        "client": "solo el webmail",
        "examples.sender": "asesoria@gestoriaruiz.example",
        "examples.subject": "Modelo 303",
    }
    answer(chat, answers)
    assert chat.asking == "examples.sent_at", chat.text
    chat.say("el martes pasado por la mañana")
    assert chat.asking == "examples.sent_at", chat.text
    chat.say("serian las 10 mas o menos")
    assert chat.asking != "examples.sent_at", chat.text
    assert case_of(chat, store).examples[0].sent_at.startswith("2026-11-17T10:00")


def test_a_firewall_just_put_in_said_with_the_error(chat: Chat) -> None:
    chat.say("da stamattina nessuno dei computer riesce a scaricare la posta di "
             "segreteria@example.org, né con Outlook né dalla webmail")  # fmt: skip
    for _ in range(4):
        if chat.asking == "error_text":
            break
        chat.say({"addresses": "tutti", "client": "Outlook e webmail"}.get(chat.asking or "", "sì"))
    assert chat.asking == "error_text", chat.text
    chat.say("Outlook dice 'Impossibile connettersi al server'. Ah, ieri sera ci hanno montato un "
             "firewall nuovo in ufficio, può essere quello?")  # fmt: skip
    assert chat.state == "out_of_scope", chat.text


def test_only_the_party_of_the_bounce_named_by_its_name(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "URGENT - clients not getting our invoices!! This bounced back:\n"
        "Your message to finance@globexltd.example couldn't be delivered.\n"
        "Remote server said: 554 5.7.1 <accounts@example.com>: Sender address rejected\n"
        "sent from accounts@example.com yesterday around 4pm"
    )
    answers = {
        "smtp_is_provider": "yes we use smtp.example.net",
        "webmail_fails": "just tried from webmail, same bounce",
    }
    answer(chat, answers)
    assert chat.asking == "addresses", chat.text
    chat.say("seems to be only globex, the others go through fine")
    assert chat.asking != "addresses", chat.text
    assert case_of(chat, store).addresses == "globexltd.example"


# Session 10.
@pytest.mark.parametrize(
    "said", ["niente altro", "no, niente altro grazie", "nothing else to add, thanks",
             "nada más que agregar"]
)  # fmt: skip
def test_nothing_to_add_said_with_thanks_adds_nothing(
    chat: Chat, store: SqlStore, said: str
) -> None:
    chat.say("vorrei cambiare la password di info@rossi-srl.example")
    assert chat.asking == "description", chat.text
    chat.say(said)
    assert chat.asking == "confirm", chat.text
    assert (
        case_of(chat, store).description == "vorrei cambiare la password di info@rossi-srl.example"
    )


def test_a_note_with_thanks_in_it_is_still_a_note(chat: Chat, store: SqlStore) -> None:
    chat.say("vorrei cambiare la password di info@rossi-srl.example")
    chat.say("no, ma il collega Mario deve poter accedere, grazie")
    assert "Mario" in case_of(chat, store).description


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("perdon, no me llegan los correos de un cliente concreto, los demas si", "receive"),
        ("sorry, no emails are coming in at all", "receive"),
        ("perdón, no, era el envío", "send"),
    ],
)
def test_a_no_that_starts_the_sentence_undoes_nothing(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


def test_an_error_in_the_next_clause_is_no_no_error() -> None:
    assert read("si, anche dalla webmail no va, me da errore igual", classify=False).error is None


BOUNCE_WITH_ORIGINAL = """eccolo, copio tutto quello che c'e':

Da: Mail Delivery System <MAILER-DAEMON@smtp.example.net>
Inviato: giovedì 19 novembre 2026 15:33
A: amministrazione@rossi-srl.example
Oggetto: Undelivered Mail Returned to Sender

<ordini@ferramenta-gialli.it>: host mx1.ferramenta-gialli.it[203.0.113.25]
    said: 550 5.7.1 Message rejected: SPF check failed for rossi-srl.example

-------- messaggio originale --------
From: amministrazione@rossi-srl.example
To: ordini@ferramenta-gialli.it
Subject: Fattura n. 318/2026 - ottobre
Date: Thu, 19 Nov 2026 15:32:41 +0100"""


def test_a_bounce_quoting_the_original_gives_the_example(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "le mail che mandiamo da amministrazione@rossi-srl.example ad alcuni fornitori tornano "
        "indietro. Uso smtp.example.net, anche dalla webmail (webmail.example.net) torna indietro"
    )
    answer(
        chat,
        {
            "addresses": "sì, ordini@ferramenta-gialli.it",
            "client": "Outlook e webmail",
            "error_text": BOUNCE_WITH_ORIGINAL,
        },
    )
    assert chat.asking == "confirm", chat.text
    case = case_of(chat, store)
    example = case.examples[0]
    assert example.recipient == "ordini@ferramenta-gialli.it"
    assert example.subject == "Fattura n. 318/2026 - ottobre"
    assert example.sent_at.startswith("2026-11-19T15:32")
    assert "webmail" not in (case.addresses or "")  # our webmail is a place, not a party


def test_headers_pasted_as_the_answer_give_the_rest_of_the_example(
    chat: Chat, store: SqlStore
) -> None:
    chat.say(
        "Mando le mail da m.gatti@rossi-srl.example con smtp.example.net, anche dalla webmail, "
        "ma il Comune non le riceve. Solo il Comune. Nessun errore. Uso Thunderbird e webmail"
    )
    answer(chat, {"addresses": "ufficio.acquisti@comune-esempio.it"})
    assert chat.asking == "examples.subject", chat.text  # (the recipient is the Comune)
    chat.say(
        "Le giro quella di ieri:\n-------- Messaggio Inoltrato --------\n"
        "Oggetto: Offerta fornitura toner 2027\nData: Thu, 19 Nov 2026 10:12:37 +0100\n"
        "Mittente: Marco Gatti <m.gatti@rossi-srl.example>\nA: ufficio.acquisti@comune-esempio.it"
    )
    if chat.asking == "examples.more":
        chat.choose("no")
    assert chat.asking == "confirm", chat.text
    example = case_of(chat, store).examples[0]
    assert example.recipient == "ufficio.acquisti@comune-esempio.it"
    assert example.subject == "Offerta fornitura toner 2027"
    assert example.sent_at.startswith("2026-11-19T10:12")


def test_a_bounce_s_own_headers_name_the_original_sender(chat: Chat, store: SqlStore) -> None:
    chat.say("not getting any emails on sales@rossi-srl.example, not in webmail either")
    answer(chat, {"addresses": "everyone", "client": "webmail only"})
    chat.say(
        "one of them forwarded me this:\n---------- Forwarded message ---------\n"
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Date: Wed, Nov 18, 2026 at 10:31 AM\nSubject: Delivery Status Notification (Failure)\n"
        "To: <tom.baxter.design@gmail.com>\n** Message not delivered **"
    )
    assert chat.asking == "examples.subject", chat.text
    chat.say("he sent it wednesday about half 10 in the morning, subject was 'Logo drafts v2'")
    if chat.asking == "examples.more":
        chat.choose("no")
    example = case_of(chat, store).examples[0]
    assert example.sender == "tom.baxter.design@gmail.com"
    assert example.subject == "Logo drafts v2"


def test_a_date_inside_the_subject_is_not_when_it_was_sent(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Can't send from reception@rossi-srl.example, smtp.example.net, webmail too, to anyone. "
        "Outlook says 0x800CCC1A"
    )
    answer(chat, {"client": "outlook and webmail"})
    assert chat.asking == "examples.recipient", chat.text
    chat.say('this morning at 8.05 to bookings@lakeside.example, subject "Room block 4-6 December"')
    if chat.asking == "examples.more":
        chat.choose("no")
    assert case_of(chat, store).examples[0].sent_at.startswith("2026-11-20T08:05")


@pytest.mark.parametrize(
    ("said", "only_some"),
    [
        ("si, c'e smtp.example.net, ce l'aveva configurato il vostro tecnico quando abbiamo preso "
         "il dominio e nessuno l'ha mai toccato", None),
        ("Afecta a todos los remitentes y destinatarios, no a direcciones concretas. El resto de "
         "cuentas del dominio van bien.", False),
        ("Pasa con todo el mundo, no con un destinatario concreto.", False),
        ("Succede con qualsiasi mittente/destinatario, le altre caselle del dominio invece vanno.",
         False),
    ],
)  # fmt: skip
def test_other_mailboxes_and_nobody_who_touched_are_not_some_addresses(
    said: str, only_some: bool | None
) -> None:
    assert read(said, classify=False).only_some is only_some


def test_a_forwarding_address_is_not_the_mailbox_to_delete(chat: Chat, store: SqlStore) -> None:
    chat.say("vorrei chiudere la casella di Sara che si e' licenziata")
    chat.say(
        "sara.conti@example.com. pero prima di cancellarla vorrei che le mail che le arrivano "
        "vengano girate per un mese ad acquisti@example.com"
    )
    assert case_of(chat, store).mailbox == "sara.conti@example.com"


def test_the_server_a_mac_names_in_its_error_is_the_smtp_used(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "no puedo enviar correos desde ventas@example.org con el Mail del Mac. Me sale esto:\n"
        'No se puede enviar el mensaje con el servidor "smtp.example.net".\n'
        'El servidor "smtp.example.net" rechazó la contraseña de la cuenta "ventas@example.org".'
    )
    assert chat.asking != "smtp_is_provider", chat.text
    assert case_of(chat, store).smtp_is_provider is True


def test_all_the_mail_there_in_webmail_works() -> None:
    said = "No guardi, dal browser su webmail.example.net li la posta c'e tutta"
    assert read(said, classify=False).webmail == "works"


@pytest.mark.parametrize(
    ("said", "addresses"),
    [
        ("buongiorno, nn riesco a mandare mail dalla casella info@rosi-srl.example... scusate ho "
         "scritto male, e info@rossi-srl.example", ("info@rossi-srl.example",)),
        ("hola quiero borrar la cuenta antonio@garcia.example... uy no, esa no!! la que hay que "
         "borrar es antonia@garcia.example", ("antonia@garcia.example",)),
        ("da mario@x.example a maria@x.example", ("mario@x.example", "maria@x.example")),
    ],
)  # fmt: skip
def test_an_address_typed_wrong_and_again_is_the_second(said: str, addresses: tuple[str]) -> None:
    assert read(said, classify=False).addresses == addresses


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("receiving I think... actually no, scratch that, it's sending. we get their mails fine, "
         "they just never get our replies", "send"),
        ("Tenemos un problema con la recepcion... bueno, perdona, me explico mal: recibir "
         "recibimos bien, lo que falla es el envio", "send"),
        ("yes, I sent a test from webmail to one of the customers and it didnt arrive either",
         "send"),
        ("My bridge club sends the rota every week and it never arrived", "receive"),
        ("nothing going in or out since wednesday night", "both"),
        # "in both" are places
        ("Yep, webmail won't send either. Receiving is fine in both though, it's just sending",
         "send"),
        ("Hello, emails from one of our suppliers have stopped reaching us.", "receive"),
    ],
)  # fmt: skip
def test_the_way_said_after_a_correction_or_by_what_fails(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


@pytest.mark.parametrize(
    ("said", "subject"),
    [
        ("el asunto no era ese, era Pedido semana 47, perdona", "Pedido semana 47"),
        ("hang on, the subject is wrong, it was Re: quote for 400 units, not 40",
         "Re: quote for 400 units"),
    ],
)  # fmt: skip
def test_a_subject_corrected_in_words(said: str, subject: str) -> None:
    assert subject_in(said) == subject


def test_a_smtp_server_corrected_in_the_opening_is_the_one_used(chat: Chat) -> None:
    chat.say(
        "non riesco a inviare con la casella info@example.org, in outlook come server in uscita "
        "ho smtp.example.net.. no aspetta ho controllato meglio, c'e scritto out.alice.it"
    )
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    "said",
    ["where do I find that? do you mean the bounce?", "dove lo trovo l'errore?",
     "y donde veo yo el error? a mi no me sale nada"],
)  # fmt: skip
def test_where_is_the_error_asked_back_is_told_and_asked_again(
    chat: Chat, store: SqlStore, said: str
) -> None:
    chat.say("emails to info@example.org are bouncing, nothing in webmail since tuesday")
    answer(chat, {"addresses": "everyone", "client": "thunderbird and webmail"})
    assert chat.asking == "error_text", chat.text
    chat.say(said)
    assert chat.asking == "error_text", chat.text
    assert case_of(chat, store).error_text is None


def test_a_day_denied_in_the_correction_is_not_the_day(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "no me llegan los correos del colegio a carmen@garcia.example, solo de ellos, ni en la "
        "webmail. solo uso webmail. ningun error"
    )
    answer(chat, {"addresses": "secretaria@colegiosanjose.example",
                  "examples.sender": "secretaria@colegiosanjose.example",
                  "examples.subject": "Circular"})  # fmt: skip
    chat.say("el lunes a las 10, no espera, el lunes no, fue el martes por la mañana, a las 10")
    if chat.asking == "examples.more":
        chat.choose("no")
    assert case_of(chat, store).examples[0].sent_at.startswith("2026-11-17T10:00")


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("salve, abbiamo il sito e il dominio da voi, pero la mail dello studio e "
         "studioferri@libero.it e da ieri non riceve piu niente", "out_of_scope"),
        ("El lunes el informatico nos puso un firewall nuevo en la oficina, pero en la webmail "
         "desde casa tampoco me llega nada a recepcion@garcia.example", "email_scope"),
        ("me podeis pasar con una persona? es algo de la cuenta de la empresa", "done"),
    ],
)  # fmt: skip
def test_openings_near_the_edge_of_scope(chat: Chat, said: str, expected: str) -> None:
    chat.say(said)
    assert chat.state == expected, chat.text


def test_webmail_that_sends_ok_is_webmail_that_works(chat: Chat) -> None:
    chat.say("I can't send from greg@example.com")
    chat.say("yes smtp.example.net")
    chat.say("webmail sends ok")
    assert chat.state == "out_of_scope", chat.text


def test_webmail_working_after_an_antivirus_changed_is_the_antivirus(
    chat: Chat, store: SqlStore
) -> None:
    chat.say(
        "every time I send from thunderbird I get this:\n\nSending of the message failed.\n"
        "Unable to establish a secure link with SMTP server smtp.example.net using STARTTLS.\n\n"
        "started after Bitdefender renewed itself and switched on some 'email protection' thing"
    )
    answer(chat, {"mailbox": "greg@example.com", "webmail_fails": "webmail sends ok"})
    assert chat.state == "out_of_scope", chat.text
    with store.transaction() as tx:
        conv = tx.load_conversation(chat.channel, chat.user)
    assert conv is not None and conv.out_reason == "antivirus"


def test_neapolitan_nun_manna_e_nun_riceve_is_both_ways() -> None:
    said = "a casella ordini@rossi-srl.example nun manna e nun riceve niente da martedì"
    assert read(said, classify=False).direction == "both"


def test_the_way_said_at_the_end_of_a_sentence(chat: Chat) -> None:
    chat.say("Apple Mail on my Mac keeps asking for the password for jo@example.com, over and over")
    assert chat.asking == "direction", chat.text
    chat.say("it pops up when it checks for new mail, so receiving I suppose")
    assert chat.asking == "webmail_fails", chat.text


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("office at rossi dash srl dot example", "office@rossi-srl.example"),
        ("info chiocciola rossi trattino srl punto example", "info@rossi-srl.example"),
        ("pepe guion bajo martin arroba garcia punto example", "pepe_martin@garcia.example"),
    ],
)
def test_an_address_dictated_with_its_signs(said: str, address: str) -> None:
    assert read(said, classify=False).addresses == (address,)


def test_a_mailbox_named_at_the_end_of_the_story(chat: Chat) -> None:
    chat.say(
        "no puedo entrar en mi correo, me dice contraseña incorrecta, es pepe_martin77@hotmail.com"
    )
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    ("said", "webmail"),
    [
        ("The internet page for the email says my password is wrong", "fails"),
        ("en la pagina de internet del correo tampoco, se queda la rueda dando vueltas", "fails"),
        ("the internet page works fine, I can see all my emails there", "works"),
    ],
)
def test_webmail_called_the_internet_page(said: str, webmail: str) -> None:
    assert read(said, classify=False).webmail == webmail


def test_the_smtp_said_after_a_paste_is_not_the_error() -> None:
    said = (
        "cant send from accounts@example.org, outlook and webmail. every mail bounces with:\n"
        "Remote Server returned '550 5.7.1 Service unavailable; Client host [203.0.113.45] "
        "blocked using zen.spamhaus.org'\nusing smtp.example.net 587 as always"
    )
    assert "smtp.example.net" not in (read(said, classify=False).error or "")


@pytest.mark.parametrize(
    ("said", "direction"),
    [
        ("en el ordenador no me bajan los correos de juan@garcia.example, el programa se queda "
         "todo el rato poniendo enviando y recibiendo y no sale nada nuevo", "receive"),
    ],
)  # fmt: skip
def test_what_the_program_shows_is_no_way_of_mail(said: str, direction: str) -> None:
    assert read(said, classify=False).direction == direction


def test_a_spelled_address_said_with_e_poi_la_chiocciola() -> None:
    said = "la mia posta? e giuseppe punto ferrari e poi la chiocciola example punto org"
    assert read(said, classify=False).addresses == ("giuseppe.ferrari@example.org",)


def test_the_customers_own_address_is_not_the_one_to_create(chat: Chat, store: SqlStore) -> None:
    chat.say("Could you make my wife an email please, jean@example.org? Mine is bill@example.org.")
    assert case_of(chat, store).mailbox == "jean@example.org"


@pytest.mark.parametrize(
    ("said", "mailbox"),
    [
        ("Since yesterday accounts@example.com can't send. payroll@example.com and hr@example.com "
         "use identical settings and are fine.", "accounts@example.com"),
        ("abbiamo info@example.org e direzione@example.org. Il problema riguarda solo "
         "amministrazione@example.org: non riceve piu nulla", "amministrazione@example.org"),
    ],
)  # fmt: skip
def test_the_one_mailbox_of_several_with_the_problem(
    chat: Chat, store: SqlStore, said: str, mailbox: str
) -> None:
    chat.say(said)
    assert case_of(chat, store).mailbox == mailbox


def test_the_model_mailbox_is_not_the_one_to_create(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "mi create la casella giulia.neri@rossi-srl.example? Stesse impostazioni di "
        "amministrazione@rossi-srl.example (5 GB, IMAP). Grazie"
    )
    assert case_of(chat, store).mailbox == "giulia.neri@rossi-srl.example"


@pytest.mark.parametrize(
    ("said", "webmail"),
    [
        ("and webmail login says Your account has been temporarily disabled", "fails"),
        ("Ho riprovato dalla webmail e mi dice Invio non riuscito: limite di invio superato. "
         "Prima lo facevamo tutti i mesi senza nessun problema.", "fails"),
        ("Ho provato dalla webmail con la password giusta (quella del foglio) e mi da Login "
         "fallito", "fails"),
    ],
)  # fmt: skip
def test_what_webmail_says_when_it_fails(said: str, webmail: str) -> None:
    assert read(said, classify=False).webmail == webmail


def test_the_customers_line_about_webmail_inside_a_paste() -> None:
    said = (
        "Ho fatto una prova a mano:\n\nRCPT TO:<acquisti@fornitore.example>\n"
        "554 5.7.1 <ordini@rossi-srl.example>: Sender address rejected: Access denied\n\n"
        "Anche dalla webmail stesso identico risultato, torna indietro con lo stesso 554 5.7.1"
    )
    assert read(said, classify=False).webmail == "fails"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("la multifuncion Ricoh manda los escaneos con la cuenta escaner@garcia.example pero la "
         "tenemos configurada con el smtp de Movistar (smtp.telefonica.net), no con el vuestro. "
         "Desde ayer sale:\nError de transmision: 550 5.7.1 Unable to relay for "
         "escaner@garcia.example\nEs cosa vuestra?", "out_of_scope"),
        ("We turned on TLS inspection on our Sophos XGS firewall and now every client gets "
         "certificate errors. Can you remote in and configure the firewall policy for us?",
         "out_of_scope"),
        ("Buongiorno, mi serve il cambio password della casella fatturazione@rossi-srl.example, "
         "vedo accessi da IP che non sono nostri", "details"),
    ],
)  # fmt: skip
def test_technical_openings(chat: Chat, store: SqlStore, said: str, expected: str) -> None:
    chat.say(said)
    assert chat.state == expected, chat.text


def test_the_firewall_named_as_such_wins_over_its_brand(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "We turned on TLS inspection on our Sophos XGS firewall and now every client gets "
        "certificate errors. Can you remote in and configure the firewall policy for us?"
    )
    with store.transaction() as tx:
        conv = tx.load_conversation(chat.channel, chat.user)
    assert conv is not None and conv.out_reason == "firewall"


def test_anyone_at_all_and_a_program_nobody_has() -> None:
    assert read("da igual el destinatario, es por el tamaño", classify=False).only_some is False
    said = "Only webmail, it's a shared box nobody has in Outlook"
    assert read(said, classify=False).program is None


def test_two_requests_in_one_opening_are_taken_one_at_a_time(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Two things. Our website example.org has been showing a 500 error since last night, and "
        "also I can't send emails from info@example.org on my phone."
    )
    assert chat.state == "which_first", chat.text
    assert chat.asking == "topic" and set(chat.choices) == {"hosting", "email"}
    chat.say("the website first, we're losing customers")
    assert case_of(chat, store).topic == "hosting"
    chat.choose("none")
    chat.choose("yes")
    assert chat.asking == "another"
    assert "You also wrote about this: A problem sending or receiving e-mail." in chat.text
    chat.choose("yes")  # the other request, with what the opening said of it
    case = case_of(chat, store)
    assert case.topic == "email" and case.mailbox == "info@example.org", chat.text
    assert case.direction == "send"


def test_two_requests_said_with_and_also_and_the_action_chosen(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "Please delete the mailbox tom.baker@example.org (he left last week) and I also need to "
        "change the password on finance@example.org because Tom knew it."
    )
    assert chat.state == "which_first", chat.text
    chat.say("delete Tom's mailbox first")
    case = case_of(chat, store)
    assert case.action == "delete" and case.mailbox == "tom.baker@example.org", chat.text


def test_one_request_with_also_in_it_is_one(chat: Chat) -> None:
    chat.say(
        "Our support contract expired last month. We want to renew it and also upgrade to "
        "premium, how much is it?"
    )
    assert chat.state != "which_first", chat.text


@pytest.mark.parametrize(
    "said",
    ["QUIERO QUE BORREIS YA la cuenta antiguo.comercial@example.org, os lo pedi hace 2 semanas",
     "voglio che eliminiate la casella vecchia@example.org"],
)  # fmt: skip
def test_delete_said_to_us_in_the_plural(chat: Chat, store: SqlStore, said: str) -> None:
    chat.say(said)
    assert case_of(chat, store).action == "delete", chat.text


def test_no_nemmeno_li_is_webmail_failing_too(chat: Chat, store: SqlStore) -> None:
    chat.say("ciao non mi arrivano le mail dei fornitori su studio@example.com")
    chat.say("no nemmeno li, da mercoledi non si vede niente")
    assert case_of(chat, store).webmail_fails is True, chat.text


def test_for_example_is_no_recipient(chat: Chat, store: SqlStore) -> None:
    chat.say("non mi arrivano le mail dei fornitori su studio@example.com, nemmeno in webmail")
    chat.say(
        "mi sembra solo quelle che arrivano da libero.it, per esempio fornitore.carta@libero.it"
    )
    draft = case_of(chat, store).draft
    assert draft is not None and draft.sender == "fornitore.carta@libero.it"


@pytest.mark.parametrize(
    "said",
    ["I need to change the password of bookings@example.org",
     "devo cambiare la password di info@rossi-srl.example, la usa anche il gestionale"],
)  # fmt: skip
def test_a_typed_password_request_gets_the_safeguards_too(chat: Chat, said: str) -> None:
    chat.say(said)
    assert chat.asking == "description", chat.text
    assert "check that you are the holder of the account" in chat.text or "titolare" in chat.text
    assert "will stop sending" in chat.text or "smetterà" in chat.text or "smette" in chat.text


def test_when_will_you_answer_after_the_ticket_is_told_and_filed(
    chat: Chat, store: SqlStore
) -> None:
    chat.say("quiero cambiar la contraseña de info@garcia.example")
    chat.choose("none")
    chat.choose("yes")
    code = chat.ticket or ""
    chat.say("no gracias. y cuando me van a contestar?? es urgente, tengo clientes esperando")
    assert chat.asking == "another", chat.text  # not a goodbye
    assert "09:00" in chat.text and code in chat.text
    notes = [n["text"] for n in store.ticket(code)["notes"] if n["kind"] == "customer_reply"]
    assert notes == [
        "no gracias. y cuando me van a contestar?? es urgente, tengo clientes esperando"
    ]


def test_help_refused_and_protested_gets_a_person(chat: Chat) -> None:
    chat.say("I can't get my gmail on my phone, it's me@gmail.com")
    assert chat.state == "out_of_scope", chat.text
    chat.say("so you cant help me?? i dont have an IT guy, its just me and my brother")
    assert chat.state == "done" and chat.ticket is not None, chat.text


def test_a_mailbox_elsewhere_named_in_a_both_ways_opening(chat: Chat) -> None:
    chat.say(
        "buongiorno, da ieri non riesco piu a mandare ne ricevere mail da "
        "amministrazione@rossi-srl.it, anche da webmail da lo stesso errore"
    )
    assert chat.state == "out_of_scope", chat.text  # not "which mailbox?" first


def test_our_domain_forwarded_to_gmail_is_a_mail_problem(chat: Chat) -> None:
    chat.say("buenas, mi correo javi.moreno87@gmail.com no recibe nada desde ayer")
    assert chat.state == "out_of_scope", chat.text
    chat.say(
        "pero es que el dominio de la empresa lo tengo con vosotros, garcia.example, y el gmail "
        "lo uso para reenviar"
    )
    assert chat.asking == "mailbox", chat.text  # which of ours forwards to it


# Sets 59 to 62 (session 11): what their first runs did not read.
@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("O sea que es recibir, no enviar.", "receive"),  # was "send"
        ("I can send, not receive", "receive"),
        ("customers keep ringing to say they've emailed orders but I never see them.", "receive"),
        ("i clienti dicono che mi hanno scritto ma io non vedo niente", "receive"),
    ],
)
def test_the_way_that_fails_is_read_from_a_verb_too(text: str, direction: str) -> None:
    assert read(text).direction == direction


@pytest.mark.parametrize(
    ("text", "some"),
    [("No, de nadie de fuera", False), ("no, from nobody outside", False)],
)
def test_from_nobody_means_everyone(text: str, some: bool) -> None:
    assert read(text).only_some is some


@pytest.mark.parametrize(
    "text", ["ieri mattina verso le 9e30", "ayer a las 9y30", "ieri h 9.30", "ieri h9:30"]
)
def test_a_time_glued_or_marked_with_h_is_read(text: str) -> None:
    assert parse_sent_at(text, NOW, ROME).strftime("%d %H:%M") == "19 09:30"


def test_a_quoted_error_in_a_long_first_sentence_is_the_quote_not_the_sentence() -> None:
    r = read(
        "Since Tuesday none of us can send anything from office@example.com, which is a disaster "
        'because it\'s quote season. Outlook says: "550 5.7.1 Relaying denied". The one I tried '
        "first went to accounts@pennington-timber.co.uk.\nKind regards, Janet"
    )
    assert r.error == "550 5.7.1 Relaying denied"


def test_a_refused_sender_in_a_bounce_is_not_its_recipient(chat: Chat) -> None:
    chat.say(
        "Hi, I got this back from Outlook when I sent a quote from sales@example.com yesterday:"
        "\n\nYour message did not reach some or all of the intended recipients.\n\n"
        "      Subject:  Quote for kitchen refit\n      Sent:     19/11/2026 16:02\n\n"
        "The following recipient(s) cannot be reached:\n\n      'Dave Hughes' on 19/11/2026 16:02"
        "\n            554 5.7.1 <sales@example.com>: Sender address rejected: Access denied"
    )
    assert chat.asking == "smtp_is_provider", chat.text  # sending: was taken for receiving


def test_an_example_told_before_the_mailbox_is_taken_once_it_is_known(chat: Chat) -> None:
    chat.say(
        "me ha vuelto este mensaje al enviar\n\nMail Delivery System\nA message that you sent "
        "could not be delivered to one or more of its recipients.\n  compras@ferreteria-ruiz.es"
        "\n    554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked"
    )
    chat.say("almacen@garcia.example")
    answer(chat, {"smtp_is_provider": "si", "webmail_fails": "si", "addresses": "no",
                  "client": "solo webmail", "examples.subject": "Pedido", "examples.sent_at":
                  "ayer a las 10"})  # fmt: skip
    assert chat.asking == "confirm" and "compras@ferreteria-ruiz.es" in chat.text, chat.text


def test_a_time_given_for_the_subject_is_kept_and_the_subject_asked_again(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("non ricevo le mail su gianni.sala@example.com, anche da webmail, da tutti")
    answer(chat, {"client": "solo webmail", "error_text": "niente errori",
                  "examples.sender": "comunicazioni@bancaesempio.it"})  # fmt: skip
    assert chat.asking == "examples.subject", chat.text
    chat.say("me l'hanno mandata ieri verso le 14")
    assert chat.asking == "examples.subject", chat.text
    chat.say("Estratto conto ottobre")
    assert chat.asking != "examples.sent_at", chat.text


@pytest.mark.parametrize(
    ("text", "webmail"),
    [
        ("It happens in Outlook and in webmail alike", "fails"),
        ("Both ways are dead on info@garcia.example since 9am. Outlook AND webmail.", "fails"),
        ("Oh. Just tried webmail and it sent straight away", "works"),
        ("I use Outlook and webmail", None),
    ],
)
def test_webmail_named_beside_the_program_that_fails(text: str, webmail: str | None) -> None:
    assert read(text).webmail == webmail


def test_every_day_is_when_not_with_whom() -> None:
    assert read("Pero la cuenta existe, yo la uso todos los dias").only_some is None


def test_a_yes_with_a_qualifier_is_a_yes(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("nn ricevo le mail da un cliente su info@example.com")
    assert chat.asking == "webmail_fails", chat.text
    chat.say("si ma solo a volte, qualcuna arriva e qualcuna no")
    assert chat.asking != "webmail_fails", chat.text


def test_sending_from_webmail_is_sending_through_our_server(chat: Chat) -> None:
    chat.say("cant send from webmail. mailbox j.reed@example.com")
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say("its the webmail so yours i guess")
    assert chat.asking != "smtp_is_provider", chat.text


def test_a_correction_of_the_domain_changes_the_mailbox_not_the_way(
    chat: Chat, store: SqlStore
) -> None:
    chat.say("/lang es")
    chat.say("No puedo enviar correos desde ventas@example.com ni siquiera desde la webmail")
    chat.say("si, smtp.example.net")
    chat.say(
        "a todos, probé a mandarme uno a mí mismo y tampoco. Ah, y perdona, antes puse "
        "ventas@example.com pero es ventas@example.org, me equivoqué de dominio"
    )
    case = case_of(chat, store)
    assert (case.mailbox, case.direction) == ("ventas@example.org", "send")


def test_a_change_of_mind_said_as_got_it_backwards(chat: Chat) -> None:
    chat.say("Hi, I can't send emails from bookings@example.com since Tuesday")
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say(
        "hmm wait, reading it again I got it backwards - sending is fine. It's RECEIVING "
        "that's broken, nothing has come in since Tuesday"
    )
    assert chat.asking == "webmail_fails", chat.text


# Held-out sets 65-67: answers written as mail (quoted question, signature), on a phone
# (dictated, autocorrected), by offices with several mailboxes.


def test_a_quoted_question_and_a_signature_are_not_the_answer(chat: Chat) -> None:
    chat.say("email's broken")
    assert chat.asking == "mailbox", chat.text
    chat.say("> Which mailbox is affected?\nhello@example.org\n\nSent from my Galaxy")
    assert chat.asking == "direction", chat.text  # "Sent from my Galaxy" was sending


def test_a_phone_number_in_a_signature_is_no_error_code(chat: Chat, store: SqlStore) -> None:
    chat.say("/lang es")
    chat.say("Buenos días, tengo problemas para enviar desde pedidos@rossi-srl.example.")
    chat.say(
        "Sí, smtp.example.net, en Outlook para Mac. Me pasa solo cuando adjunto PDFs grandes\n--\n"
        "Lucía Romero\nTel. +34 91 555 01 23\nAVISO LEGAL: Este mensaje y sus archivos adjuntos "
        "van dirigidos exclusivamente a su destinatario."
    )
    assert case_of(chat, store).error_text is None


def test_the_smtp_server_said_under_a_quoted_question_is_read(chat: Chat) -> None:
    chat.say('Can\'t send from bookings@example.com. Outlook says "554 5.7.1 Relay access denied".')
    assert chat.asking == "smtp_is_provider", chat.text
    chat.say(
        "> Do you send through smtp.example.net?\nHmm, just looked: the outgoing server is set "
        "to smtp.virginmedia.com.\n\nSimon"
    )
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("no me llevan los correos de un cliente a rrhh@garcia.example, perdon llegan, el "
         "corrector", "receive"),
        ("Anche dalla webmail non ci sono. Usiamo Outlook e non esce nessun errore, non "
         "arrivano", "receive"),
        ("Receiving... actually no, sorry. She gets emails fine, it's her replies that never "
         "arrive. So it's sending.", "send"),
        ("Enviar. Recibe bien, pero lo que manda no sale", "send"),
        ("Mando le offerte dalla casella commerciale (abbiamo anche il dominio rossi-group.it "
         "registrato altrove, ma quello non c'entra) e mi torna indietro questo:", "send"),
        ("desde la cuenta de facturación nos rebotan los correos a los clientes que tienen Gmail. "
         "El rebote dice:", "send"),
    ],
)  # fmt: skip
def test_the_way_read_past_typos_asides_and_to_the_conclusion(text: str, direction: str) -> None:
    assert read(own_message(text)).direction == direction


@pytest.mark.parametrize(
    ("text", "webmail"),
    [
        ("Pasa en el webmail y en Thunderbird, y no da ningún error.", "fails"),
        ("La webmail non l'avevo mai usata... provo... ok, anche da lì non parte", "fails"),
        ("webmail is the only thing i use and thats whats broken", "fails"),
        (
            "in the webmail I log in and all my new emails are there. So what's wrong with it??",
            "works",
        ),
    ],
)
def test_webmail_tried_there_and_then_or_named_first(text: str, webmail: str) -> None:
    assert read(text).webmail == webmail


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("this morning first thing, like 8", "20 08:00"),
        ("l altro ieri verso sera", "18 18:00"),
        ("stamattina presto", "20 07:00"),
        ("yesterday late afternoon", "19 17:00"),
        ("the customer filled in the form yesterday at 10:05, not this morning.", "19 10:05"),
    ],
)
def test_a_part_of_the_day_narrowed_down_is_a_time(text: str, when: str) -> None:
    found = find_sent_at(text, NOW, ROME)
    assert found is not None and found.strftime("%d %H:%M") == when


@pytest.mark.parametrize(
    "text", ["ieri pomeriggio", "I was early", "quando abbiamo preso il dominio"]
)
def test_no_time_where_none_was_said(text: str) -> None:
    assert find_sent_at(text, NOW, ROME) is None


def test_the_gmail_app_is_a_program_not_a_mailbox_elsewhere(chat: Chat) -> None:
    chat.say("my work email dan@example.com stopped syncing in the gmail app on my pixel")
    assert chat.state != "out_of_scope", chat.text
    assert read("spark on my iphone plus webmail").program == "Spark"
    assert read("gmail, l app sul samsung").program.startswith("Gmail app")


def test_an_error_typed_without_stops_ends_where_the_customer_speaks_again() -> None:
    r = read(
        "the webmail gives the same error 421 4.7.0 too many connections from your host try "
        "again later i use your smtp.example.net and its with every recipient"
    )
    assert r.error == "421 4.7.0 too many connections from your host try again later"


def test_a_registrar_is_not_the_domain_to_transfer(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("Vorrei trasferire da voi un dominio che adesso è registrato su Register.it")
    assert chat.asking == "domain", chat.text


def test_the_address_mail_should_go_to_is_not_the_one_to_delete(chat: Chat) -> None:
    chat.say(
        "Kevin from our team left last month, please delete his mailbox. Anything still coming "
        "in for him should go to office@garcia.example instead."
    )
    assert chat.asking == "mailbox", chat.text


def test_the_mailbox_said_to_work_is_not_the_one_with_the_problem(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("La mail non funziona")
    chat.say("Quella di mia moglie: chiara@example.com. La mia è paolo@example.com ma quella va")
    assert chat.asking == "direction", chat.text


def test_a_forwarded_message_gives_the_example(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say(
        "un cliente mi ha scritto tre volte ma non è arrivato niente su direzione@rossi-srl.example"
        ". Anche in webmail non c'è."
    )
    chat.say("Sì, solo da lui. Leggo la posta con Mail sul Mac e non ho mai visto nessun errore")
    chat.say(
        "Lui, vi giro la mail:\n---------- Messaggio inoltrato ---------\nDa: Marco Ferraro "
        "<m.ferraro@ferraroimpianti.it>\nData: mer 18 nov 2026 alle ore 11:32\nOggetto: "
        "Preventivo impianto\nA: <direzione@rossi-srl.example>"
    )
    assert chat.asking not in ("examples.sender", "examples.subject"), chat.text


def test_a_subject_then_when_it_was_sent(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("no me llegan los correos del banco a gerencia@garcia.example, ni en el webmail")
    answer(chat, {"addresses": "solo de notificaciones@bancohorizonte.es",
                  "client": "Outlook y el webmail", "error_text": "ningún error"})  # fmt: skip
    assert chat.asking == "examples.subject", chat.text
    chat.say(
        "Aviso de cargo; según el banco lo mandaron el miércoles por la tarde, hacia las 17:30"
    )
    assert chat.asking != "examples.sent_at", chat.text


# Held-out sets 68-70: lay words for webmail, technical pastes, conversations that turn.


@pytest.mark.parametrize(
    ("text", "webmail"),
    [
        ("I tried the email website too, and it won't go from either.", "fails"),
        ("I go on the blue E and the email page, is that it? The emails from Joan aren't there",
         "fails"),
        ("Ho provato adesso dalla pagina internet: me la sono mandata sul cellulare e non è "
         "arrivata neanche così", "fails"),
        ("I logged into webmail on my phone and tried sending myself a test. It just spun and "
         "then said it couldn't send", "fails"),
        ("I just logged into webmail with exactly the same password and it went straight in, "
         "and all of today's emails are sitting there.", "works"),
        ("Acabo de entrar en el webmail y me he mandado una factura de prueba, y me ha llegado "
         "en un segundo", "works"),
        ("Mailbox: billing@example.com (Thunderbird 128 + webmail, same result in both).",
         "fails"),
    ],
)  # fmt: skip
def test_webmail_in_lay_words_and_stories(text: str, webmail: str) -> None:
    assert read(text).webmail == webmail


def test_webmail_asked_and_answered_as_the_page(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say("no me llegan los correos a info@garcia.example al programa del ordenador")
    assert chat.asking == "webmail_fails", chat.text
    chat.say("En la página tampoco llegan... espere, me había equivocado de pestaña. Sí, en la "
             "página sí que están todos, perdone")  # fmt: skip
    assert chat.state == "out_of_scope", chat.text


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Nothing's going in or out on my email since the weekend.", "both"),
        ("Hello, people tell me my emails aren't reaching them.", "send"),
        ("mia sorella dice che le mail che mi manda le tornano tutte indietro", "receive"),
        ("Su paola.ricci@rossi-srl.example mi mancano delle mail", "receive"),
    ],
)
def test_the_way_said_by_others_or_by_what_is_missing(text: str, direction: str) -> None:
    assert read(text).direction == direction


def test_only_webmail_in_lay_words(chat: Chat) -> None:
    chat.say("my email doesnt work")
    answer(chat, {"mailbox": "bill.turner@example.org", "direction": "Nothing is coming in",
                  "webmail_fails": "nothing new there either on the email page"})  # fmt: skip
    assert chat.asking == "client", chat.text
    chat.say("What do you mean by a program?")
    assert chat.asking == "client", chat.text  # asked back: explained, not taken for "both"
    chat.say("I just use the blue E on the computer and go to the email website, nothing else")
    assert chat.asking == "error_text", chat.text
    assert read("solo dalla pagina internet, col computer. Programmi non ne ho").only_webmail


def test_a_bounce_our_server_wrote_or_a_listed_setting_says_the_smtp_server() -> None:
    bounce = read(
        "Got this:\n\nThis is the mail system at host smtp.example.net.\n\n"
        "<k@yahoo.com>: host mta7.yahoodns.net said: 421 4.7.0 [TSS04] deferred"
    )
    assert smtp_answer(bounce, "smtp.example.net") is True
    listed = read('Thunderbird:\n- SMTP smtp.example.net:465 SSL -> "Timeout della connessione"')
    assert smtp_answer(listed, "smtp.example.net") is True
    relay = read("Il nostro Postfix fa relay:\n\nrelayhost = [smtp.fastwebnet.it]:587")
    assert smtp_answer(relay, "smtp.example.net") is False
    denied = read(
        "Il nostro Postfix fa relay verso lo smarthost del provider, non passiamo da "
        "smtp.example.net:\n\nrelayhost = [smtp.fastwebnet.it]:587"
    )
    assert smtp_answer(denied, "smtp.example.net") is False


def test_the_request_said_to_be_urgent_goes_first(chat: Chat) -> None:
    chat.say("/lang es")
    chat.say(
        "Hola, tengo dos cosas. Lo urgente: desde ayer no puedo enviar correos desde "
        "pedidos@garcia.example, ni desde el webmail. Y luego, cuando se pueda, quería crear un "
        "buzón nuevo para mi socio."
    )
    assert chat.asking == "smtp_is_provider", chat.text  # not "which one first?"


def test_a_dns_check_answered_with_wanting_a_technician_opens_a_ticket(chat: Chat) -> None:
    chat.say("Is DKIM set up for our domain example.org? A client says our emails fail DKIM.")
    assert chat.asking == "dns_ticket", chat.text
    chat.say("They'll quarantine us if it isn't sorted, so I'd rather someone looked at it.")
    assert chat.asking not in ("dns_ticket", None), chat.text


def test_a_habit_is_no_example_time(chat: Chat) -> None:
    chat.say("/lang it")
    chat.say("su info@rossi-srl.example non arriva più niente da ieri, neanche dalla webmail")
    answer(chat, {"addresses": "da tutti, non mi è arrivata nemmeno la mail della banca che "
                  "arriva ogni mattina alle 7", "client": "Outlook e webmail",
                  "error_text": "nessun errore", "examples.sender": "ordini@cartotecnica.it",
                  "examples.subject": "Ordine 4471"})  # fmt: skip
    assert chat.asking == "examples.sent_at", chat.text  # not 7:00 today


def test_an_error_does_not_end_inside_an_address() -> None:
    r = read("Errore: 550 5.7.1 <segreteria@example.org>: Sender rate limit exceeded")
    assert r.error == "550 5.7.1 <segreteria@example.org>: Sender rate limit exceeded"


def test_a_remote_server_line_that_quotes_its_reply_is_the_paste() -> None:
    r = read(
        "Ci ha girato il log del suo Exchange:\n\nRemote Server at mx.example.net (198.51.100.20) "
        "returned '451 4.7.1 <info@example.com>: Recipient address rejected: Greylisted, see "
        "http://postgrey.example/help.html'\nRemote Server at mx.example.net (198.51.100.20) "
        "returned '550 5.7.1 Client host [192.0.2.77] blocked using zen.spamhaus.org'"
    )
    assert r.error is not None and "451 4.7.1" in r.error and "550 5.7.1" in r.error


def test_webmail_tried_by_others_and_no_other_server() -> None:
    said = "No idea, I don't use webmail myself... they say nothing's arriving there either"
    assert read(said).webmail == "fails"
    assert (
        read(
            "Non saprei, io la webmail non la uso... mi dicono che anche lì non arriva niente"
        ).webmail
        == "fails"
    )
    assert smtp_answer(read("I suppose so, we don't have any other server"), "smtp.example.net")


# Set 74 (typed on a phone, dictated): run-on messages without stops.
@pytest.mark.parametrize(
    ("said", "direction", "webmail"),
    [
        (
            "desde el martes no me llegan los correos a reservas@example.org y he mirado en la "
            "pagina web del correo y tampoco estan y en el outlook tampoco y no se que hacer",
            "receive",
            "fails",
        ),
        (
            "no puedo enviar correos desde ventas@example.org ni desde el movil ni desde la "
            "pagina web tampoco y no se que pasa porque antes funcionaba perfectamente",
            "send",
            "fails",
        ),
        (
            "non riesco a mandare le mail dalla casella commerciale@rossi-srl.example sia da "
            "outlook che dalla webmail ho provato anche da lì e niente mi arriva un messaggio "
            "che dice mail delivery failed returning message to sender non so cosa vuol dire",
            "send",
            "fails",
        ),
        ("emails not going out OR coming in on accounts@example.com", "both", None),
        (
            "La recepcionista no consigue enviar correos desde recepcion@garcia.example",
            "send",
            None,
        ),
        (
            "I'm not getting anything in, my customers say they've sent stuff and I've got nothing",
            "receive",
            None,
        ),
    ],
)
def test_a_dictated_run_on_message_is_read(said: str, direction: str, webmail: str | None) -> None:
    """Being at a loss ("no sé qué hacer") or how it was ("antes funcionaba") says nothing of
    webmail; a notice that comes back is a bounce, not mail received; a receptionist is no
    reception of mail."""
    r = read(said)
    assert (r.direction, r.webmail) == (direction, webmail)


@pytest.mark.parametrize(
    ("said", "error"),
    [
        (
            "mi arriva un messaggio che dice mail delivery failed returning message to sender "
            "non so cosa vuol dire",
            "mail delivery failed returning message to sender",
        ),
        (
            "me llega un correo que dice Undelivered Mail Returned to Sender y no se que es",
            "Undelivered Mail Returned to Sender",
        ),
        ("not sure.. let me look\nok it says smtp.sky.com", None),  # a setting read out
    ],
)
def test_a_bounce_title_typed_without_quotes_is_the_error(said: str, error: str | None) -> None:
    assert read(said).error == error


def test_a_server_read_out_answers_the_smtp_question() -> None:
    assert (
        smtp_answer(read("not sure.. let me look\nok it says smtp.sky.com"), "smtp.example.net")
        is False
    )


def test_an_address_capitalized_by_a_phone_is_folded() -> None:
    assert read("buenas\nPedidos@garcia.example\nno recibe ni envia nada").addresses == (
        "pedidos@garcia.example",
    )


# Set 77 (customers who ask what a question means, and describe what they see).
def test_a_question_asked_back_is_explained_and_asked_again(chat: Chat, store: SqlStore) -> None:
    chat.say(
        "I can't receive mail at info@example.org from anna@rossi-srl.example, webmail too, "
        "with everyone, only webmail, no error"
    )
    chat.say("the subject? what is that")
    assert "the title of the message" in chat.text
    assert chat.asking == "examples.subject"
    chat.say("Battesimo")
    chat.say("yesterday at 10")
    chat.choose("no")
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None and ticket["examples"][0]["subject"] == "Battesimo"


def test_the_first_day_said_is_the_day() -> None:
    """ "Ayer sobre las 7 de la tarde, y esta mañana otra vez" is yesterday at 19:00, not a date
    in the future (this morning at 19:00)."""
    moment = parse_sent_at("Ayer sobre las 7 de la tarde, y esta mañana otra vez", NOW, ROME)
    assert moment.isoformat().startswith("2026-11-19T19:00")


@pytest.mark.parametrize(
    "said",
    [
        "¿Qué mensaje? No sale ningún mensaje, simplemente no llegan",
        "non compare nessun messaggio, semplicemente non arrivano",
        "nothing pops up, they just don't come",
    ],
)
def test_nothing_on_screen_is_no_error(said: str) -> None:
    assert read(said).error == ""


@pytest.mark.parametrize(
    "said",
    [
        "On the computer, I click on the little envelope at the bottom and they come up",
        "En la tablet, en el iconito del sobre que pone Correo",
    ],
)
def test_a_program_shown_by_its_icon_is_a_program(said: str) -> None:
    from flows.reading import unnamed_program

    assert unnamed_program(said)[0]
