"""Real clients' default requests, run through the function in Node and njs: page or 503 JSON."""

import json

from client_headers import CLIENTS
from edge_runtime import request_event, run
from maintenance.edge import PAGE_URI, render_function_code
from maintenance.settings import DEFAULT_MESSAGE

# Where this project decides otherwise than the corpus, and why.
DECIDED_OTHERWISE = {
    # Its documented request (Accept: */*, no Sec-Fetch) is the same as curl's: nothing in it
    # says "browser". It gets the 503 with Retry-After, which is what tells a crawler the
    # outage is temporary; the body is not what it indexes.
    "Googlebot": "json",
}


def expected(client) -> str:
    return DECIDED_OTHERWISE.get(client.name, client.expects)


def outcome(answer: dict) -> str:
    if "statusCode" not in answer:
        return "page" if answer["uri"] == PAGE_URI else f"forwarded to {answer['uri']}"
    if answer["statusCode"] == 503 and json.loads(answer["body"]["data"])["maintenance"] is True:
        return "json"
    return f"status {answer['statusCode']}"


def test_the_corpus_names_at_least_30_clients_each_with_its_source():
    assert len(CLIENTS) >= 30
    assert len({client.name for client in CLIENTS}) == len(CLIENTS)
    assert all(client.source.strip() and client.expects in ("page", "json") for client in CLIENTS)
    assert {client.expects for client in CLIENTS} == {"page", "json"}


def test_every_client_gets_what_it_expects():
    code = render_function_code(DEFAULT_MESSAGE, None, 300, 503)
    events = [request_event(client.method, "/v1/users/7", dict(client.headers)) for client in CLIENTS]
    answers = run(code, events)
    assert {client.name: outcome(answer) for client, answer in zip(CLIENTS, answers)} == {
        client.name: expected(client) for client in CLIENTS
    }


def test_every_override_names_a_client_of_the_corpus():
    assert set(DECIDED_OTHERWISE) <= {client.name for client in CLIENTS}
