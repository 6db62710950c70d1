"""SaaS flows against small local servers answering as each vendor's documented API does, on
both databases: Salesforce's REST query (pages linked by nextRecordsUrl, SOQL with a
SystemModstamp condition, a 429 first), Zendesk's time-based incremental export (next_page,
end_of_stream, start_time) and ServiceNow's Table API (sysparm_query, Link rel="next"). Records
are ingested once, incrementally from the watermark; the connector profiles' tokens are never
echoed by any answer or log."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.integration.test_integration_flows import KMS, make_domain, run, stored
from tests.support.databases import BACKENDS, require_backend, temporary_database_url
from tests.support.live_server import LiveServer, running_server
from tests.support.raw_client import signed_request

TOKEN = "00Dsekrit!token.value-123"
PAGE = 2


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, **headers: str) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class FakeSalesforce:
    """Contacts served by SystemModstamp, PAGE a page; answers 429 to the first query."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.queries: list[str] = []
        self.throttle_next = True
        self.throttled = 0
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def put(self, ident: str, stamp: str, **fields: str) -> None:
        self.records[ident] = {"attributes": {"type": "Contact", "url": f"/x/{ident}"},
                               "Id": ident, "SystemModstamp": stamp, **fields}  # fmt: skip

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: Any, **headers: str
    ) -> None:
        send_json(handler, status, body, **headers)

    def _page(self, rows: list[dict[str, Any]], cursor: str) -> dict[str, Any]:
        page, rest = rows[:PAGE], rows[PAGE:]
        answer: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": page}
        if rest:
            name = f"{cursor}-{len(self.cursors)}"
            self.cursors[name] = rest
            answer["nextRecordsUrl"] = f"/services/data/v60.0/query/{name}"
        return answer

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(handler, 401, [{"errorCode": "INVALID_SESSION_ID",
                                       "message": "Session expired or invalid"}])  # fmt: skip
            return
        parts = urlsplit(handler.path)
        if parts.path.startswith("/services/data/v60.0/query/"):
            rows = self.cursors.pop(parts.path.rsplit("/", 1)[1])
            self._send(handler, 200, self._page(rows, "c"))
            return
        if self.throttle_next:
            self.throttle_next = False
            self.throttled += 1
            limit = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}]
            self._send(handler, 429, limit, **{"Retry-After": "0"})
            return
        soql = parse_qs(parts.query)["q"][0]
        self.queries.append(soql)
        since = re.search(r"SystemModstamp >= (\S+)", soql)
        rows = sorted(self.records.values(), key=lambda r: (r["SystemModstamp"], r["Id"]))
        if since:
            rows = [r for r in rows if r["SystemModstamp"] >= since.group(1)]
        fields = re.match(r"SELECT (.*) FROM Contact", soql)
        assert fields, soql
        wanted = {"attributes", *(f.strip() for f in fields.group(1).split(","))}
        rows = [{k: v for k, v in r.items() if k in wanted} for r in rows]
        self._send(handler, 200, self._page(rows, "c"))


class FakeVendor:
    """Zendesk's incremental export or ServiceNow's Table API over ``records``, two a page."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.records: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.throttle_next = False
        self.throttle_marketo = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            send_json(handler, 401, {"error": "Couldn't authenticate you"})
            return
        if self.throttle_next:
            self.throttle_next = False
            send_json(handler, 429, {"error": "Too many"}, **{"Retry-After": "0"})
            return
        self.requests.append(handler.path)
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.kind == "marketo":
            send_json(handler, 200, self.marketo(parts.path, query))
            return
        if self.kind == "zendesk":
            start = int(query["start_time"])
            offset = int(query.get("offset", "0"))
            rows = sorted(
                (r for r in self.records.values()
                 if datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")).timestamp()
                 >= start),
                key=lambda r: (r["updated_at"], r["id"]),
            )  # fmt: skip
            page = rows[offset : offset + PAGE]
            more = offset + PAGE < len(rows)
            body: dict[str, Any] = {"users": page, "count": len(page), "end_of_stream": not more}
            if more:
                body["next_page"] = (f"{self.url}/api/v2/incremental/users.json?"
                                     f"start_time={start}&offset={offset + PAGE}")  # fmt: skip
            send_json(handler, 200, body)
            return
        condition = re.match(r"(?:sys_updated_on>=([^^]+)\^)?ORDERBY", query["sysparm_query"])
        assert condition, query
        since = condition.group(1)
        rows = sorted(
            (r for r in self.records.values() if since is None or r["sys_updated_on"] >= since),
            key=lambda r: (r["sys_updated_on"], r["sys_id"]),
        )
        offset = int(query.get("sysparm_offset", "0"))
        wanted = query["sysparm_fields"].split(",")
        page = [{k: v for k, v in r.items() if k in wanted} for r in rows[offset : offset + PAGE]]
        headers = {}
        if offset + PAGE < len(rows):
            following = urlencode({**query, "sysparm_offset": offset + PAGE})
            link = f"{self.url}{parts.path}?{following}"
            headers["Link"] = f'<{link}>;rel="next"'
        send_json(handler, 200, {"result": page}, **headers)

    def marketo(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """Paging tokens name a time; lead changes list the leads updated since, two a page;
        the first lead-changes call is refused with 606 (rate limit), as Marketo does."""
        if path == "/rest/v1/activities/pagingtoken.json":
            return {"success": True, "nextPageToken": f"T{query['sinceDatetime']}|0"}
        if path == "/rest/v1/activities/leadchanges.json":
            if self.throttle_marketo:
                self.throttle_marketo = False
                return {"success": False, "errors": [{"code": "606", "message": "Max rate"}]}
            since, offset = query["nextPageToken"][1:].split("|")
            rows = sorted((r for r in self.records.values() if r["updatedAt"] >= since),
                          key=lambda r: (r["updatedAt"], r["id"]))  # fmt: skip
            start = int(offset)
            page = rows[start : start + PAGE]
            more = start + PAGE < len(rows)
            changes = [{"id": 70 + r["id"], "leadId": r["id"], "activityDate": r["updatedAt"],
                        "activityTypeId": 13} for r in page]  # fmt: skip
            return {"success": True, "moreResult": more,
                    "nextPageToken": f"T{since}|{start + PAGE}", "result": changes}  # fmt: skip
        wanted = query["fields"].split(",")
        ids = {int(i) for i in query["filterValues"].split(",")}
        leads = [r for r in self.records.values() if r["id"] in ids]
        return {"success": True, "result": [{k: r[k] for k in wanted if k in r} for r in leads]}


@pytest.fixture(scope="module")
def vendors() -> Iterator[dict[str, FakeVendor]]:
    found = {
        "zendesk": FakeVendor("zendesk"),
        "servicenow": FakeVendor("servicenow"),
        "marketo": FakeVendor("marketo"),
    }
    yield found
    for fake in found.values():
        fake.httpd.shutdown()


@pytest.fixture(scope="module")
def salesforce() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce()
    yield fake
    fake.httpd.shutdown()


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    salesforce: FakeSalesforce, vendors: dict[str, FakeVendor],
) -> Iterator[LiveServer]:  # fmt: skip
    backend: str = request.param
    require_backend(backend)
    tmp = tmp_path_factory.mktemp(backend)
    profiles = tmp / "profiles.json"
    profiles.write_text(json.dumps({
        "crm": {"ConnectorType": "Salesforce", "InstanceUrl": salesforce.url,
                "AccessToken": TOKEN, "ApiVersion": "v60.0"},
        "stale": {"ConnectorType": "Salesforce", "InstanceUrl": salesforce.url,
                  "AccessToken": "expired"},
        "desk": {"ConnectorType": "Zendesk", "InstanceUrl": vendors["zendesk"].url,
                 "AccessToken": TOKEN},
        "mkto": {"ConnectorType": "Marketo", "InstanceUrl": vendors["marketo"].url,
                 "AccessToken": TOKEN},
        "snow": {"ConnectorType": "Servicenow", "InstanceUrl": vendors["servicenow"].url,
                 "AccessToken": TOKEN, "Account": "000000000000"},
    }))  # fmt: skip
    env = {"OPENPROFILES_CONNECTOR_PROFILES": str(profiles)}
    with temporary_database_url(backend, tmp) as url, running_server(url, tmp / "data", env) as srv:
        yield srv


def _flow(profile: str, name: str) -> dict[str, Any]:
    def op(kind: str, fields: list[str], operator: str, dest: str | None = None) -> Any:
        task: dict[str, Any] = {"TaskType": kind, "SourceFields": fields,
                                "ConnectorOperator": {"Salesforce": operator}}  # fmt: skip
        if dest:
            task["DestinationField"] = dest
        return task

    return {
        "FlowName": name,
        "KmsArn": KMS,
        "SourceFlowConfig": {
            "ConnectorType": "Salesforce",
            "ConnectorProfileName": profile,
            "IncrementalPullConfig": {"DatetimeTypeFieldName": "SystemModstamp"},
            "SourceConnectorProperties": {"Salesforce": {"Object": "Contact"}},
        },
        "Tasks": [
            op("Filter", ["Id", "Email", "FirstName"], "PROJECTION"),
            op("Map", ["Id"], "NO_OP", "id"),
            op("Map", ["Email"], "NO_OP", "email"),
            op("Map", ["FirstName"], "NO_OP", "first"),
        ],
        "TriggerConfig": {"TriggerType": "OnDemand"},
    }


def test_pages_back_off_and_incremental_pulls(
    server: LiveServer, salesforce: FakeSalesforce
) -> None:
    cp = server.client()
    domain = make_domain(cp)
    salesforce.records.clear()
    salesforce.throttle_next, salesforce.throttled = True, 0
    for i in range(1, 6):
        salesforce.put(f"003{i}", f"2026-01-0{i}T10:00:00.000+0000", Email=f"p{i}@example.com",
                       FirstName=f"P{i}", Secret="not projected")  # fmt: skip
    put = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=_flow("crm", f"sf-{domain}"))  # fmt: skip
    first = run(server, domain, put["Uri"])
    assert first["Status"] == "COMPLETED", first
    assert (first["RecordsRead"], first["RecordsIngested"]) == (5, 5)
    assert salesforce.throttled == 1  # the 429 was waited out, not a failure
    assert stored(cp, domain, "0033") == {"id": "0033", "email": "p3@example.com", "first": "P3"}
    assert "WHERE" not in salesforce.queries[-1]

    salesforce.put("0032", "2026-01-09T10:00:00.000+0000", Email="new2@example.com",
                   FirstName="P2")  # fmt: skip
    salesforce.put("0036", "2026-01-09T10:00:00.000+0000", Email="p6@example.com",
                   FirstName="P6")  # fmt: skip
    second = run(server, domain, put["Uri"])
    assert (second["RecordsRead"], second["RecordsIngested"]) == (2, 2), second
    assert "SystemModstamp >= 2026-01-05T10:00:00.000+0000" in salesforce.queries[-1]
    assert stored(cp, domain, "0032")["email"] == "new2@example.com"  # type: ignore[index]
    third = run(server, domain, put["Uri"])
    assert third["RecordsRead"] == 0, third  # the records at the watermark were taken

    answers = json.dumps([first, second, third, cp.get_integration(DomainName=domain,
                                                                    Uri=put["Uri"])],
                         default=str)  # fmt: skip
    assert TOKEN not in answers and TOKEN not in server.log()


def test_a_refused_token_fails_the_run_without_echoing_secrets(
    server: LiveServer, salesforce: FakeSalesforce
) -> None:
    cp = server.client()
    domain = make_domain(cp)
    put = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=_flow("stale", f"sf-{domain}"))  # fmt: skip
    failed = run(server, domain, put["Uri"])
    assert failed["Status"] == "FAILED"
    assert "401" in failed["Message"] and "INVALID_SESSION_ID" in failed["Message"]
    assert "expired" not in failed["Message"].replace("Session expired", "")
    missing = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                                 FlowDefinition=_flow("nobody", f"sf2-{domain}"))  # fmt: skip
    answer = run(server, domain, missing["Uri"])
    assert answer["Status"] == "FAILED" and "nobody" in answer["Message"]


def _vendor_flow(connector: str, member: str, profile: str, name: str, obj: str,
                 fields: list[str], renames: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    tasks: list[dict[str, Any]] = [{"TaskType": "Filter", "SourceFields": fields,
                                    "ConnectorOperator": {member: "PROJECTION"}}]  # fmt: skip
    tasks += [{"TaskType": "Map", "SourceFields": [a], "DestinationField": b,
               "ConnectorOperator": {member: "NO_OP"}} for a, b in renames.items()]  # fmt: skip
    return {
        "FlowName": name,
        "KmsArn": KMS,
        "SourceFlowConfig": {"ConnectorType": connector, "ConnectorProfileName": profile,
                             "SourceConnectorProperties": {member: {"Object": obj}}},
        "Tasks": tasks,
        "TriggerConfig": {"TriggerType": "OnDemand"},
    }  # fmt: skip


def test_zendesk_incremental_export(server: LiveServer, vendors: dict[str, FakeVendor]) -> None:
    fake = vendors["zendesk"]
    fake.records.clear()
    fake.throttle_next = True
    for i in range(1, 4):
        fake.records[str(i)] = {"id": 900 + i, "email": f"z{i}@example.com", "name": f"Z{i}",
                                "updated_at": f"2026-01-0{i}T08:00:00Z"}  # fmt: skip
    cp = server.client()
    domain = make_domain(cp)
    flow = _vendor_flow("Zendesk", "Zendesk", "desk", f"zd-{domain}", "users",
                        ["id", "email", "name"], {"name": "first"})  # fmt: skip
    uri = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=flow)["Uri"]  # fmt: skip
    first = run(server, domain, uri)
    assert (first["Status"], first["RecordsIngested"]) == ("COMPLETED", 3), first
    assert stored(cp, domain, "902") == {"id": 902, "email": "z2@example.com", "first": "Z2"}
    fake.records["4"] = {"id": 904, "email": "z4@example.com", "name": "Z4",
                         "updated_at": "2026-01-03T08:00:00Z"}  # fmt: skip
    second = run(server, domain, uri)
    # Zendesk answers from the watermark's second on: 903 again (skipped) and the new 904.
    assert (second["RecordsRead"], second["RecordsIngested"]) == (1, 1), second
    assert "start_time=1767427200" in fake.requests[-1]
    assert TOKEN not in server.log()


def test_servicenow_table_api(server: LiveServer, vendors: dict[str, FakeVendor]) -> None:
    fake = vendors["servicenow"]
    fake.records.clear()
    for i in range(1, 6):
        fake.records[str(i)] = {"sys_id": f"s{i}", "email": f"s{i}@example.com",
                                "first_name": f"S{i}", "password_hash": "x",
                                "sys_updated_on": f"2026-01-0{i} 09:00:00"}  # fmt: skip
    cp = server.client()
    domain = make_domain(cp)
    flow = _vendor_flow("Servicenow", "ServiceNow", "snow", f"sn-{domain}", "sys_user",
                        ["sys_id", "email", "first_name"],
                        {"sys_id": "id", "first_name": "first"})  # fmt: skip
    uri = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=flow)["Uri"]  # fmt: skip
    first = run(server, domain, uri)
    assert (first["Status"], first["RecordsIngested"]) == ("COMPLETED", 5), first
    assert stored(cp, domain, "s4") == {"id": "s4", "email": "s4@example.com", "first": "S4"}
    fake.records["6"] = {"sys_id": "s6", "email": "s6@example.com", "first_name": "S6",
                         "sys_updated_on": "2026-01-07 09:00:00"}  # fmt: skip
    second = run(server, domain, uri)
    assert (second["RecordsRead"], second["RecordsIngested"]) == (1, 1), second
    assert "sys_updated_on%3E%3D2026-01-05+09%3A00%3A00" in fake.requests[-1]
    # The profile is kept to account 000000000000: another account's flow cannot use it.
    other = server.client(access_key="second", secret_key="second-secret")
    theirs = make_domain(other)
    uri = other.put_integration(DomainName=theirs, ObjectTypeName="contacts",
                                FlowDefinition=flow)["Uri"]  # fmt: skip
    status, _, raw = signed_request(
        server.endpoint, "POST", f"/_openprofiles/domains/{theirs}/integrations/run",
        body=json.dumps({"Uri": uri}).encode(), access_key="second", secret_key="second-secret",
    )  # fmt: skip
    refused = json.loads(raw)
    assert status == 200 and refused["Status"] == "FAILED" and "snow" in refused["Message"]


def test_marketo_lead_changes(server: LiveServer, vendors: dict[str, FakeVendor]) -> None:
    fake = vendors["marketo"]
    fake.records.clear()
    fake.throttle_marketo = True
    for i in range(1, 6):
        fake.records[str(i)] = {"id": i, "email": f"m{i}@example.com", "firstName": f"M{i}",
                                "updatedAt": f"2026-02-0{i}T12:00:00Z"}  # fmt: skip
    cp = server.client()
    domain = make_domain(cp)
    flow = _vendor_flow("Marketo", "Marketo", "mkto", f"mk-{domain}", "leads",
                        ["id", "email", "firstName"], {"firstName": "first"})  # fmt: skip
    uri = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=flow)["Uri"]  # fmt: skip
    first = run(server, domain, uri)
    assert (first["Status"], first["RecordsIngested"]) == ("COMPLETED", 5), first
    assert stored(cp, domain, "3") == {"id": 3, "email": "m3@example.com", "first": "M3"}
    fake.records["2"]["updatedAt"] = "2026-02-08T12:00:00Z"
    fake.records["2"]["email"] = "moved@example.com"
    second = run(server, domain, uri)
    assert (second["RecordsRead"], second["RecordsIngested"]) == (1, 1), second
    tokens = [r for r in fake.requests if "pagingtoken" in r]
    assert "sinceDatetime=2026-02-05T12%3A00%3A00Z" in tokens[-1]
    assert stored(cp, domain, "2") == {"id": 2, "email": "moved@example.com", "first": "M2"}
