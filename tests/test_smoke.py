from tests.support.chat import Chat, email_to_summary


def test_receiving_problem_reaches_a_ticket(chat: Chat, store) -> None:
    email_to_summary(chat)
    chat.choose("yes")
    assert chat.ticket is not None
    ticket = store.ticket(chat.ticket)
    assert ticket["category"] == "email_receiving"
    assert ticket["status"] == "open"
