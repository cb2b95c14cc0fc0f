"""Unit tests of nexusmon_otel's pieces that need no Discord: the OTLP/JSON
encoding, the standard-library emitter's export and bounds, command names and
sanitising. Run: /usr/bin/python3 -m unittest -v test_nexusmon_otel
(nexusmon's `make test` runs them through examples/discordpy's Go test)."""

import http.server
import json
import threading
import unittest

import nexusmon_otel
import nexusmon_otlp_json as oj


def failed_span():
    rec = nexusmon_otel.SpanRecord(
        "command nexus status",
        {"discord.command.name": "nexus status", "discord.guild.id": None, "retries": 3},
        start_ns=1_700_000_000_000_000_000,
    )
    rec.first_response()
    rec.fail(RuntimeError("boom"))
    rec.end_ns = rec.start_ns + 5
    return rec


class EncodingTest(unittest.TestCase):
    def test_span_fields_follow_otlp_json(self):
        body = oj.encode_traces({"service.name": "bot"}, [(failed_span(), b"\x01" * 16, b"\x02" * 8)])
        rs = body["resourceSpans"][0]
        self.assertEqual(rs["resource"]["attributes"], [{"key": "service.name", "value": {"stringValue": "bot"}}])
        span = rs["scopeSpans"][0]["spans"][0]
        self.assertEqual(span["traceId"], "01" * 16)  # hex, not base64
        self.assertEqual(span["spanId"], "02" * 8)
        self.assertEqual(span["kind"], 2)  # SPAN_KIND_SERVER as an integer
        self.assertEqual(span["startTimeUnixNano"], "1700000000000000000")  # a string
        self.assertEqual(span["endTimeUnixNano"], "1700000000000000005")
        self.assertEqual(span["status"], {"code": 2, "message": "boom"})
        attrs = {a["key"]: a["value"] for a in span["attributes"]}
        self.assertNotIn("discord.guild.id", attrs)  # None is left out
        self.assertEqual(attrs["retries"], {"intValue": "3"})
        self.assertEqual(attrs["error.type"], {"stringValue": "RuntimeError"})
        names = [e["name"] for e in span["events"]]
        self.assertEqual(names, ["discord.command.first_response", "exception"])
        self.assertIsInstance(span["events"][0]["timeUnixNano"], str)

    def test_successful_span_has_no_status(self):
        rec = nexusmon_otel.SpanRecord("command ping", {})
        rec.end_ns = rec.start_ns
        span = oj.encode_span(rec, b"\x00" * 16, b"\x00" * 8)
        self.assertNotIn("status", span)

    def test_metrics_gauge_and_cumulative_sum(self):
        body = oj.encode_metrics(
            {},
            [
                ("g", "s", "a gauge", oj.GAUGE, [(0.25, {}), (float("nan"), {"x": 1})]),
                ("c", "{n}", "a counter", oj.COUNTER, [(7, {"cpython.gc.generation": 0}), (True, {})]),
                ("nan only", "s", "", oj.GAUGE, [(float("nan"), {})]),
            ],
            now_ns=20,
            start_ns=10,
        )
        ms = {m["name"]: m for m in body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]}
        self.assertEqual(sorted(ms), ["c", "g"])  # no point JSON can carry: no metric
        self.assertEqual(ms["g"]["gauge"]["dataPoints"], [{"timeUnixNano": "20", "attributes": [], "asDouble": 0.25}])
        s = ms["c"]["sum"]
        self.assertEqual((s["aggregationTemporality"], s["isMonotonic"]), (2, True))
        self.assertEqual(
            s["dataPoints"][0],
            {
                "timeUnixNano": "20",
                "startTimeUnixNano": "10",
                "asInt": "7",
                "attributes": [{"key": "cpython.gc.generation", "value": {"intValue": "0"}}],
            },
        )
        self.assertEqual(s["dataPoints"][1]["asInt"], "1")
        json.dumps(body, allow_nan=False)  # strict JSON


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class EmitterTest(unittest.TestCase):
    def test_export_on_shutdown_and_queue_bound(self):
        srv = http.server.HTTPServer(("127.0.0.1", 0), _Sink)
        srv.got = []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)

        em = oj.JsonEmitter(f"http://127.0.0.1:{srv.server_port}/", {"service.name": "t"}, max_queue=2)
        em.metric("discord.guilds", "{guild}", "", oj.GAUGE, lambda: [(3, {})])
        em.metric("broken", "1", "", oj.GAUGE, lambda: 1 / 0)  # logged and skipped
        for _ in range(3):
            em.span(failed_span())
        with self.assertLogs("nexusmon_otel", "ERROR"):
            em.shutdown()

        self.assertEqual(em.dropped_spans, 1)
        paths = {p: (ct, body) for p, ct, body in srv.got}
        self.assertEqual(sorted(paths), ["/v1/metrics", "/v1/traces"])
        for ct, _ in paths.values():
            self.assertEqual(ct, "application/json")
        spans = paths["/v1/traces"][1]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        self.assertEqual(len(spans), 2)
        self.assertNotEqual(spans[0]["traceId"], spans[1]["traceId"])
        metrics = paths["/v1/metrics"][1]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        self.assertEqual([m["name"] for m in metrics], ["discord.guilds"])


class CogHelpersTest(unittest.TestCase):
    def test_command_path(self):
        data = {"name": "nexus", "options": [{"name": "admin", "type": 2, "options": [
            {"name": "reload", "type": 1, "options": [{"name": "force", "type": 5, "value": True}]}]}]}
        self.assertEqual(nexusmon_otel.command_path(data), "nexus admin reload")
        self.assertEqual(nexusmon_otel.command_path({"name": "ping", "options": [{"name": "n", "type": 4}]}), "ping")

    def test_sanitize(self):
        token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456"
        s = nexusmon_otel.sanitize(f"login with {token}\nfailed: /webhooks/123/secretpart " + "x" * 600)
        self.assertNotIn(token, s)
        self.assertNotIn("secretpart", s)
        self.assertNotIn("\n", s)
        self.assertEqual(len(s), nexusmon_otel.MAX_MESSAGE_CHARS)
        self.assertTrue(s.endswith("…"))


if __name__ == "__main__":
    unittest.main()
