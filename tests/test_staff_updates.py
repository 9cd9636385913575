"""Ticket news for the customer, their answers to technicians, files, /status, old buttons."""

from __future__ import annotations

import pytest

from bot.service import Desk
from flows.model import Event
from storage.store import SqlStore
from tests.support.chat import Chat, Clock, email_to_summary

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048


def open_ticket(chat: Chat) -> str:
    email_to_summary(chat)
    chat.choose("yes")
    assert chat.ticket is not None
    return chat.ticket


def send_file(chat: Chat, name: str, data: bytes | None, size: int | None = None) -> None:
    event = Event(
        "attachment",
        name,
        size=len(data or b"") if size is None else size,
        content_type="image/png",
        data=data,
    )
    turn = chat.desk.handle(chat.channel, chat.user, event, chat.language)
    assert turn is not None
    chat.turn = turn


def test_a_status_change_is_told_at_the_next_message(
    chat: Chat, desk: Desk, store: SqlStore
) -> None:
    code = open_ticket(chat)
    chat.choose("no")  # no other problem: closed
    change = desk.set_status(code, "in_progress")
    assert change is not None and not change.queued
    assert f"a technician has taken your ticket {code}" in desk.render(change.turn)
    chat.start()
    assert f"Good news: a technician has taken your ticket {code}." in chat.text
    chat.start()
    assert "technician has taken" not in chat.text  # told once
    assert store.ticket(code)["status"] == "in_progress"


def test_news_is_told_in_the_customers_language(desk: Desk, store: SqlStore) -> None:
    chat = Chat(desk, user="lucia", language="es")
    chat.start()
    code = open_ticket(chat)
    change = desk.set_status(code, "resolved", "Hemos vaciado el buzón lleno.")
    assert change is not None
    text = desk.render(change.turn)
    assert f"Su ticket {code} se ha resuelto." in text
    assert "Hemos vaciado el buzón lleno." in text


def test_a_technicians_question_is_answered_and_filed(
    chat: Chat, desk: Desk, store: SqlStore
) -> None:
    code = open_ticket(chat)
    chat.choose("yes")  # another problem: at the menu
    chat.choose("email")
    assert chat.state == "email_mailbox"
    change = desk.set_status(code, "waiting", "Which version of Thunderbird do you use?")
    assert change is not None
    assert change.turn.state == "ticket_question"
    chat.start()
    assert "has a question for you" in chat.text
    assert "Which version of Thunderbird do you use?" in chat.text
    assert chat.asking == "reply"
    chat.say("Thunderbird 128.3, on Windows 11")
    assert f"I added your answer to ticket {code}" in chat.text
    assert chat.state == "email_mailbox"  # back where the customer was
    ticket = store.ticket(code)
    assert ticket["status"] == "waiting"
    replies = [n for n in ticket["notes"] if n["kind"] == "customer_reply"]
    assert replies == [{**replies[0], "text": "Thunderbird 128.3, on Windows 11", "language": "en"}]


def test_a_second_message_after_answering_goes_to_the_same_ticket(
    desk: Desk, store: SqlStore, clock: Clock
) -> None:
    """Two messages typed at once to a technician's question: both reach the ticket, and the
    second is not taken for a new problem (found by a customer on Telegram)."""
    chat = Chat(desk, user="lucia", language="es")
    chat.start()
    code = open_ticket(chat)
    assert chat.asking == "another"
    desk.set_status(code, "waiting", "¿Le pasa también enviando a direcciones de Gmail?")
    chat.start()
    chat.say("si, a gmail tambien rebota")
    chat.say("y a hotmail igual, probé esta mañana")
    assert f"También lo he añadido al ticket {code}." in chat.text
    assert chat.asking == "another"
    replies = [n["text"] for n in store.ticket(code)["notes"] if n["kind"] == "customer_reply"]
    assert replies == ["si, a gmail tambien rebota", "y a hotmail igual, probé esta mañana"]
    clock.advance(minutes=30)  # much later, a message is a new problem again
    chat.say("ahora no puedo entrar en el webmail de info@example.com")
    assert chat.state != "done", chat.text
    assert len([n for n in store.ticket(code)["notes"] if n["kind"] == "customer_reply"]) == 2


def test_an_unknown_ticket_or_status_is_refused(desk: Desk) -> None:
    assert desk.set_status("SPT-000-00000", "resolved") is None
    with pytest.raises(ValueError):
        desk.set_status("SPT-000-00000", "exploded")


def test_a_screenshot_goes_with_the_ticket(chat: Chat, store: SqlStore) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    send_file(chat, "error.png", PNG)
    assert "I attached error.png to your request." in chat.text
    assert chat.state == "email_direction"  # the question is asked again
    chat.choose("receive")
    chat.choose("yes")
    chat.choose("no")
    chat.choose("webmail")
    chat.choose("none")
    chat.say("anna@example.com")
    chat.say("mario@example.com")
    chat.say("Invoice")
    chat.say("yesterday 10:00")
    chat.choose("no")
    assert "Attached: error.png" in chat.text
    chat.choose("yes")
    ticket = store.ticket(chat.ticket or "")
    assert ticket["attachments"] == [
        {
            "id": ticket["attachments"][0]["id"],
            "filename": "error.png",
            "content_type": "image/png",
            "size": len(PNG),
        }
    ]


def test_a_file_over_the_limit_is_refused_and_nothing_is_lost(chat: Chat, store: SqlStore) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    send_file(chat, "huge.png", None, size=5 * 1024 * 1024)
    assert "huge.png is too big: files of up to 1 MB can be attached." in chat.text
    assert chat.state == "email_direction"
    chat.choose("receive")
    assert chat.state == "email_webmail"


def test_a_file_before_any_problem_is_asked_for_later(chat: Chat) -> None:
    send_file(chat, "error.png", PNG)
    assert "Please tell me first what the problem is" in chat.text
    assert chat.state == "menu"


def test_a_file_after_the_ticket_joins_that_ticket(chat: Chat, store: SqlStore) -> None:
    code = open_ticket(chat)
    send_file(chat, "later.png", PNG)
    assert f"I attached later.png to ticket {code}." in chat.text
    assert [a["filename"] for a in store.ticket(code)["attachments"]] == ["later.png"]


def test_status_lists_the_customers_own_tickets(chat: Chat, desk: Desk) -> None:
    chat.command("status")
    assert "You have no tickets with us yet." in chat.text
    code = open_ticket(chat)
    desk.set_status(code, "in_progress")
    other = Chat(desk, user="someone-else")
    other.start()
    other.command("status")
    assert code not in other.text
    chat.command("status")
    assert f"{code} \u2014 E-mail: receiving \u2014 taken by a technician" in chat.text
    assert chat.state == "done"  # the question is asked again


def test_a_button_of_an_earlier_question_is_refused(chat: Chat) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    old = chat.turn
    assert old is not None and old.state == "email_direction"
    chat.choose("receive")
    chat.choose("yes")  # webmail fails too
    assert chat.state == "email_scope"  # a yes/no question again
    turn = chat.desk.handle(chat.channel, chat.user, Event("choice", "yes", ref=old.ref))
    assert turn is not None
    assert "That question is closed. Here is the current one." in chat.desk.render(turn)
    assert turn.state == "email_scope"
    current = chat.desk.handle(chat.channel, chat.user, Event("choice", "no", ref=turn.ref))
    assert current is not None and current.state == "email_client"


def test_a_redelivered_update_changes_nothing(desk: Desk) -> None:
    first = desk.handle("telegram", "42", Event("choice", "email"), "en", once="update-7")
    assert first is not None and first.state == "email_mailbox"
    again = desk.handle("telegram", "42", Event("choice", "email"), "en", once="update-7")
    assert again is None
    turn = desk.handle("telegram", "42", Event("text", "mario@example.com"), "en", once="update-8")
    assert turn is not None and turn.state == "email_direction"


def test_help_as_the_first_message_names_status_and_asks_what_to_help_with(desk: Desk) -> None:
    chat = Chat(desk, user="newcomer", language="en")
    chat.command("help")
    assert "/status" in chat.text
    assert chat.asking == "topic", chat.text
