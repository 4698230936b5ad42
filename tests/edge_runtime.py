"""CloudFront Functions events, and the function run over them in Node and in njs.

Events are shaped as in the CloudFront Developer Guide, "CloudFront Functions event structure":
version "1.0"; context with distributionDomainName, distributionId, eventType and requestId;
viewer.ip; request with method, uri, querystring, headers (lower-case names, each
{"value": ...}) and cookies (Cookie headers are not in headers); for viewer-response events
also response with statusCode (an integer), statusDescription, headers and cookies.

The engines. CloudFront runs `cloudfront-js-2.0`, which looks like njs 0.8 or later: AWS lists as
unavailable in 2.0 exactly the non-standard string methods (bytesFrom, fromBytes, fromUTF8,
toBytes, toUTF8) that njs 0.8.0 removed (Developer Guide, "JavaScript runtime features for
CloudFront Functions"; nginx.org, "Changes with njs 0.8.0"). Debian ships njs 0.7.9, which still
has them. The code uses none; test_edge.py checks every built-in it uses against the lists of
"JavaScript runtime 2.0 features for CloudFront Functions", since both engines here have more than
that page allows (charCodeAt, for one). njs indexes strings by code point, Node by UTF-16 unit: the
function reads a header only up to its first non-ASCII character, before which the two agree.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from maintenance.cli.local_edge import LocalDistribution, Reply, headers_of, install_cloudfront_module, is_module
from maintenance.cli.local_edge import module_command, response_object, viewer_event
from maintenance.cli.local_edge import request_object as event_request
from maintenance.edge import STORE_MAINTENANCE
from maintenance.settings import Settings
from requirements import require_program

HARNESS = Path(__file__).with_name("run_cloudfront_function.js").read_text(encoding="utf-8")
# njs (nginx's JavaScript engine) is far closer to CloudFront's runtime than Node: it refuses
# much of what Node accepts. Every case runs in both and the answers must agree.
ENGINES = ("node", "njs")
VIEWER_IP = "198.51.100.10"


def request_object(method: str = "GET", uri: str = "/v1/users", headers: dict[str, str] | None = None,
                   querystring: dict[str, str] | None = None) -> dict:
    headers = {"host": "api.theboss.io", **(headers or {})}
    assert all(name == name.lower() for name in headers), "CloudFront passes header names in lower case"
    return event_request(method, uri, headers, querystring if querystring is not None else {"page": "2"})


def request_event(method: str = "GET", uri: str = "/v1/users", headers: dict[str, str] | None = None,
                  querystring: dict[str, str] | None = None, viewer_ip: str = VIEWER_IP) -> dict:
    return viewer_event("viewer-request", request_object(method, uri, headers, querystring), viewer_ip)


def response_event(status: int, description: str, headers: dict[str, str], request: dict | None = None) -> dict:
    return viewer_event("viewer-response", request or request_object(), VIEWER_IP,
                        response_object(status, description, headers))


def script(code: str, events: list[dict], now: int | None, store: Optional[dict[str, str]] = None) -> str:
    state = json.dumps({"events": events, "now": now, "store": store})
    return f"var __input = {state};\n{HARNESS}\n{code}\n__finish(handler);\n"


def run_in(engine: str, code: str, events: list[dict], now: int | None = None,
           store: Optional[dict[str, str]] = None) -> tuple[list[dict], list[Optional[dict]]]:
    """The handler's results for events in one engine, and the origin each selected (None for none).

    store: what the KeyValueStore holds for the live variant, or None for a store that cannot be read.
    """
    text = script(code, events, now, store)
    if is_module(code):
        # The live variant imports `cloudfront`: the stub, where each engine finds it (local_edge.py).
        with tempfile.TemporaryDirectory(prefix="edge-test-") as directory:
            install_cloudfront_module(Path(directory))
            path = Path(directory) / "function.mjs"
            path.write_text(text, encoding="utf-8")
            command = module_command(require_program(engine), engine, Path(directory), path)
            if engine == "njs":
                command.insert(1, "-s")  # sandbox mode, no file system, as CloudFront's runtime restricts it
            completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    else:
        # njs -s: sandbox mode, no file system, as CloudFront's runtime restricts it.
        command = [require_program("node"), "-"] if engine == "node" else [require_program("njs"), "-s", "-"]
        completed = subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and not completed.stderr, f"{engine} failed:\n{completed.stderr}{completed.stdout}"
    answer = json.loads("".join(completed.stdout.split("\n")))
    assert "error" not in answer, f"{engine}: the handler threw {answer['error']}"
    return answer["results"], answer["selected"]


def route(code: str, events: list[dict], now: int | None = None,
          store: Optional[dict[str, str]] = None) -> tuple[list[dict], list[Optional[dict]]]:
    """The handler's results for events and the origins they selected, the same in Node and in njs."""
    node, njs = (run_in(engine, code, events, now, store) for engine in ENGINES)
    assert node == njs, f"Node and njs disagree:\n{node}\n{njs}"
    return njs


def run(code: str, events: list[dict], now: int | None = None) -> list[dict]:
    """The handler's results for events, the same in Node and in njs."""
    results, selected = route(code, events, now)
    assert selected == [None] * len(events)
    return results


def distribution(settings: Settings, live=None, store_mode: str | None = STORE_MAINTENANCE):
    """The maintenance distribution as an HttpServer answer: `serve`'s own (local_edge.py), in Node and njs.

    Every request goes to both engines, whose answers must agree; the njs one is sent. With
    liveOrigin, live is origin `live` (a LiveOrigin) and store_mode the store's `mode` key; a request
    both engines send there reaches it twice. The answer takes the viewer's address and the body too.
    """
    uploaded = datetime.now(timezone.utc).replace(microsecond=0)
    engines = [LocalDistribution(settings, require_program(engine) and engine, uploaded, live=live,
                                 store_mode=store_mode) for engine in ENGINES]

    def answer(method: str, path: str, headers, viewer_ip: str = VIEWER_IP,
               body: bytes = b"") -> tuple[int, dict[str, str], str]:
        node, njs = (_undated(engine.answer(method, path, headers, viewer_ip, body)) for engine in engines)
        assert node == njs, f"Node and njs disagree:\n{node}\n{njs}"
        return njs.status, njs.headers, njs.body.decode("utf-8")

    return answer


def _undated(reply: Reply) -> Reply:
    """reply without a live origin's Date, which two forwards a second apart do not share."""
    return dataclasses.replace(reply, headers={name: value for name, value in reply.headers.items() if name != "date"})
