"""Real clients' default requests, run through the function in Node and njs: page or 503 JSON."""

import json

from client_headers import CLIENTS
from edge_runtime import request_event, run
from maintenance.edge import PAGE_URI, render_function_code
from maintenance.settings import DEFAULT_MESSAGE

# Where this project decides otherwise than the corpus, and why.
POST_NAVIGATION = (
    # CloudFront Functions cannot change a request's method ("CloudFront Functions event
    # structure": method is read-only) and the bucket grants only s3:GetObject, so a form POST
    # cannot be answered with the page; it gets the 503, which says nothing was processed.
    "json"
)
LOOKS_LIKE_A_LIBRARY = (
    # Nothing in the request tells it from curl's (Accept without text/html, no Sec-Fetch): it
    # gets the 503 with Retry-After, which is what tells a client the outage is temporary.
    "json"
)
DECIDED_OTHERWISE = {
    "Chromium 156 form POST navigation": POST_NAVIGATION,
    "Firefox 153 ESR form POST navigation": POST_NAVIGATION,
    "Internet Explorer 8 navigation (no text/html in Accept)": LOOKS_LIKE_A_LIBRARY,
    "Internet Explorer 8 navigation with Accept */*": LOOKS_LIKE_A_LIBRARY,
    "Googlebot": LOOKS_LIKE_A_LIBRARY,  # the body is not what a crawler indexes on a 503
    # Answered by the CORS preflight (204), after which the app reads the 503 JSON.
    "Chromium 156 CORS preflight": "preflight",
}


def expected(client) -> str:
    return DECIDED_OTHERWISE.get(client.name, client.expects)


def outcome(answer: dict) -> str:
    if "statusCode" not in answer:
        return "page" if answer["uri"] == PAGE_URI else f"forwarded to {answer['uri']}"
    if answer["statusCode"] == 503 and json.loads(answer["body"]["data"])["maintenance"] is True:
        return "json"
    if answer["statusCode"] == 204 and "access-control-allow-methods" in answer["headers"]:
        return "preflight"
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
