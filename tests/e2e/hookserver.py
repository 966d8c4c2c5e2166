#!/usr/bin/env python3
"""A small HTTP server for the pipeline tests, on 127.0.0.1 only.

It answers every request from a plan and logs it. The plan is a JSON file read at each
request, so a test can change it while the server runs: {"gen": N, "paths": {"/path":
[status, ...]}} gives the statuses to answer PATH with, in order, the last one repeated
once the others are used (a list of one is a fixed answer); a new N starts every list
from its first status again. A path not in the plan gets 404. Each request is
appended to the log as one JSON line: {"method", "path", "body", "status"}.

usage: hookserver.py PLAN LOG PORTFILE   (the port it listens on is written to PORTFILE)
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLAN, LOG, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
served = {}
generation = [None]


class Handler(BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        path = self.path.split("?", 1)[0]
        with open(PLAN) as f:
            doc = json.load(f)
        if doc.get("gen") != generation[0]:
            generation[0] = doc.get("gen")
            served.clear()
        statuses = doc.get("paths", {}).get(path)
        if statuses:
            n = served.get(path, 0)
            served[path] = n + 1
            status = statuses[min(n, len(statuses) - 1)]
        else:
            status = 404
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body, "status": status}) + "\n")
        reply = json.dumps({"status": status, "path": path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = PORTFILE + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, PORTFILE)
server.serve_forever()
