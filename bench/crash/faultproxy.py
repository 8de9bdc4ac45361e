#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between sakk (the AWS SDK for Rust) and a moto server.

sakk's provider endpoints point here; every request is forwarded to moto (``--upstream``),
except that, decided per request by a seeded draw, the proxy

* answers with an AWS-shaped error instead of forwarding: ``throttle`` (the service's throttling
  code: RequestLimitExceeded for EC2, Throttling for IAM/STS/Route53, SlowDown for S3,
  ThrottlingException for DynamoDB and EKS, TooManyRequestsException for Cognito), ``500`` or
  ``503``, in the protocol's shape (EC2 query XML, IAM/STS/Route53 ErrorResponse XML, S3 Error
  XML, awsJson ``__type`` for DynamoDB/Cognito, restJson ``x-amzn-ErrorType`` for EKS);
* ``reset``: resets the connection before forwarding (moto never sees the request);
* ``drop``: forwards, lets moto act, then resets the connection instead of answering
  (the response is lost after AWS acted).

Deterministic modes for one API action (``service:Action``, e.g. ``ec2:CreateVpc``,
``cognito-idp:CreateGroup``; see :func:`classify`):

* ``hold``: the first matching request is forwarded, moto acts, and the answer is withheld
  until ``/__faultproxy/release`` (then the connection is reset) — the caller is killed meanwhile;
* ``drop_once``: the first matching request is forwarded and its connection reset.

The draw is ``sha256(seed, service:Action, n)`` where n counts that action's requests, so a run
with the same seed and the same requests meets the same faults whatever the interleaving of
different actions.

Control (never forwarded): ``GET /__faultproxy/stats`` (JSON counters, held requests),
``POST /__faultproxy/config`` (JSON: rate, seed, kinds, hold, drop_once; resets the counters),
``POST /__faultproxy/release``. Run ``faultproxy.py --help`` for the command line.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULT_KINDS = ("throttle", "500", "503", "reset", "drop")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}
MUTATING = re.compile(
    r"^(Create|Put|Delete|Update|Attach|Detach|Associate|Disassociate|Allocate|Release|Admin"
    r"(Create|Delete|Add|Remove|Set|Update|Disable|Enable)|Add|Remove|Change|Tag|Untag|Set|Modify"
    r"|Replace|Authorize|Revoke|Enable|Disable)"
)


# ---------------------------------------------------------------------------------------------
# Which service and API action a request is


def service_of(headers) -> str:
    auth = headers.get("Authorization", "") or ""
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    if m:
        return m.group(1)
    target = headers.get("X-Amz-Target", "") or ""
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    if target.startswith("AWSCognitoIdentityProviderService"):
        return "cognito-idp"
    return "unknown"


def _route53_action(method: str, path: str) -> str:
    p = re.sub(r"^/2013-04-01", "", path).rstrip("/")
    table = [
        ("POST", r"/hostedzone", "CreateHostedZone"),
        ("GET", r"/hostedzone", "ListHostedZones"),
        ("GET", r"/hostedzonesbyname", "ListHostedZonesByName"),
        ("GET", r"/hostedzonecount", "GetHostedZoneCount"),
        ("GET", r"/hostedzone/[^/]+", "GetHostedZone"),
        ("POST", r"/hostedzone/[^/]+", "UpdateHostedZoneComment"),
        ("DELETE", r"/hostedzone/[^/]+", "DeleteHostedZone"),
        ("POST", r"/hostedzone/[^/]+/rrset", "ChangeResourceRecordSets"),
        ("GET", r"/hostedzone/[^/]+/rrset", "ListResourceRecordSets"),
        ("GET", r"/change/[^/]+", "GetChange"),
        ("POST", r"/tags/hostedzone/[^/]+", "ChangeTagsForResource"),
        ("GET", r"/tags/hostedzone/[^/]+", "ListTagsForResource"),
        ("POST", r"/hostedzone/[^/]+/associatevpc", "AssociateVPCWithHostedZone"),
        ("POST", r"/hostedzone/[^/]+/disassociatevpc", "DisassociateVPCFromHostedZone"),
    ]
    for m, pat, action in table:
        if m == method and re.fullmatch(pat, p):
            return action
    return f"{method}:{p}"


def _eks_action(method: str, path: str) -> str:
    p = path.rstrip("/")
    table = [
        ("POST", r"/clusters", "CreateCluster"),
        ("GET", r"/clusters", "ListClusters"),
        ("GET", r"/clusters/[^/]+", "DescribeCluster"),
        ("DELETE", r"/clusters/[^/]+", "DeleteCluster"),
        ("POST", r"/clusters/[^/]+/update-config", "UpdateClusterConfig"),
        ("POST", r"/clusters/[^/]+/updates", "UpdateClusterVersion"),
        ("GET", r"/clusters/[^/]+/updates(/[^/]+)?", "DescribeUpdate"),
        ("POST", r"/clusters/[^/]+/node-groups", "CreateNodegroup"),
        ("GET", r"/clusters/[^/]+/node-groups", "ListNodegroups"),
        ("GET", r"/clusters/[^/]+/node-groups/[^/]+", "DescribeNodegroup"),
        ("DELETE", r"/clusters/[^/]+/node-groups/[^/]+", "DeleteNodegroup"),
        ("POST", r"/clusters/[^/]+/node-groups/[^/]+/update-config", "UpdateNodegroupConfig"),
        ("POST", r"/clusters/[^/]+/node-groups/[^/]+/update-version", "UpdateNodegroupVersion"),
        ("POST", r"/clusters/[^/]+/addons", "CreateAddon"),
        ("GET", r"/clusters/[^/]+/addons", "ListAddons"),
        ("GET", r"/clusters/[^/]+/addons/[^/]+", "DescribeAddon"),
        ("DELETE", r"/clusters/[^/]+/addons/[^/]+", "DeleteAddon"),
        ("POST", r"/clusters/[^/]+/access-entries", "CreateAccessEntry"),
        ("GET", r"/clusters/[^/]+/access-entries", "ListAccessEntries"),
        ("GET", r"/clusters/[^/]+/access-entries/[^/]+", "DescribeAccessEntry"),
        ("DELETE", r"/clusters/[^/]+/access-entries/[^/]+", "DeleteAccessEntry"),
        ("POST", r"/tags/.+", "TagResource"),
        ("DELETE", r"/tags/.+", "UntagResource"),
        ("GET", r"/tags/.+", "ListTagsForResource"),
    ]
    for m, pat, action in table:
        if m == method and re.fullmatch(pat, p):
            return action
    return f"{method}:{p}"


_S3_SUB = {
    "versioning": "BucketVersioning",
    "encryption": "BucketEncryption",
    "publicAccessBlock": "PublicAccessBlock",
    "tagging": "BucketTagging",
    "policy": "BucketPolicy",
    "acl": "BucketAcl",
    "ownershipControls": "BucketOwnershipControls",
    "lifecycle": "BucketLifecycleConfiguration",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "logging": "BucketLogging",
    "object-lock": "ObjectLockConfiguration",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "replication": "BucketReplication",
    "notification": "BucketNotificationConfiguration",
}


def _s3_action(method: str, path: str, query: dict, host: str) -> str:
    segs = [s for s in path.split("/") if s]
    # virtual-hosted style: the bucket is the host's first label
    vhost = not re.match(r"^(127\.|localhost|\[)", host or "") and "." in (host or "")
    nseg = len(segs) + (1 if vhost else 0)
    if nseg == 0:
        return "ListBuckets" if method == "GET" else f"{method}:/"
    if nseg == 1:
        if "location" in query:
            return "GetBucketLocation"
        if "delete" in query and method == "POST":
            return "DeleteObjects"
        if "versions" in query:
            return "ListObjectVersions"
        if "list-type" in query or (method == "GET" and not query):
            return "ListObjectsV2" if "list-type" in query else "ListObjects"
        for k, name in _S3_SUB.items():
            if k in query:
                verb = {"PUT": "Put", "GET": "Get", "DELETE": "Delete"}.get(method, method)
                return verb + name
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(
            method, f"{method}:bucket"
        )
    return {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(
        method, f"{method}:object"
    )


def classify(method: str, path_qs: str, headers, body: bytes) -> tuple[str, str]:
    """(service, Action) of an AWS request as the SDK sends it."""
    service = service_of(headers)
    u = urllib.parse.urlsplit(path_qs)
    query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    if service in ("ec2", "iam", "sts") or "Action" in query:
        action = (query.get("Action") or [None])[0]
        if action is None and body:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            action = (form.get("Action") or [None])[0]
        return service, action or f"{method}:{u.path}"
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if service == "route53":
        return service, _route53_action(method, u.path)
    if service == "eks":
        return service, _eks_action(method, u.path)
    if service == "s3":
        return service, _s3_action(method, u.path, query, headers.get("Host", ""))
    return service, f"{method}:{u.path}"


def is_mutating(action: str) -> bool:
    return bool(MUTATING.match(action))


# ---------------------------------------------------------------------------------------------
# AWS-shaped error responses


def error_response(service: str, kind: str) -> tuple[int, dict, bytes]:
    """(status, headers, body) of the error `kind` (throttle, 500, 503) as `service` sends it."""
    rid = str(uuid.uuid4())
    msg = {
        "throttle": "Rate exceeded (injected by faultproxy)",
        "500": "We encountered an internal error. Please try again. (injected by faultproxy)",
        "503": "Service is unavailable. Please try again. (injected by faultproxy)",
    }[kind]
    if service == "ec2":
        code, status = {"throttle": ("RequestLimitExceeded", 503), "500": ("InternalError", 500), "503": ("Unavailable", 503)}[kind]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode()
    if service in ("iam", "sts", "route53"):
        ns = {
            "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
            "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
            "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
        }[service]
        code, status, typ = {
            "throttle": ("Throttling", 400, "Sender"),
            "500": ("ServiceFailure" if service == "iam" else "InternalFailure", 500, "Receiver"),
            "503": ("ServiceUnavailable", 503, "Receiver"),
        }[kind]
        body = (
            f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{ns}"><Error><Type>{typ}</Type>'
            f"<Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body.encode()
    if service == "s3":
        code, status = {"throttle": ("SlowDown", 503), "500": ("InternalError", 500), "503": ("ServiceUnavailable", 503)}[kind]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{msg}</Message><RequestId>{rid}</RequestId>"
            "<HostId>faultproxy</HostId></Error>"
        )
        return status, {"Content-Type": "application/xml", "x-amz-request-id": rid}, body.encode()
    if service == "dynamodb":
        code, status = {
            "throttle": ("com.amazonaws.dynamodb.v20120810#ThrottlingException", 400),
            "500": ("com.amazonaws.dynamodb.v20120810#InternalServerError", 500),
            "503": ("com.amazon.coral.availability#ServiceUnavailableException", 503),
        }[kind]
        body = json.dumps({"__type": code, "message": msg})
        return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": rid}, body.encode()
    if service == "cognito-idp":
        code, status = {
            "throttle": ("TooManyRequestsException", 400),
            "500": ("InternalErrorException", 500),
            "503": ("ServiceUnavailableException", 503),
        }[kind]
        body = json.dumps({"__type": code, "message": msg})
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, body.encode()
    # restJson1 (EKS) and anything else: the error code in x-amzn-ErrorType
    code, status = {
        "throttle": ("ThrottlingException", 429),
        "500": ("ServerException", 500),
        "503": ("ServiceUnavailableException", 503),
    }[kind]
    body = json.dumps({"message": msg})
    return (
        status,
        {"Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": rid},
        body.encode(),
    )


# ---------------------------------------------------------------------------------------------
# The proxy


class Faults:
    """The proxy's configuration and counters (shared by the handler threads)."""

    def __init__(self, upstream: str, log_path: str | None = None):
        u = urllib.parse.urlsplit(upstream)
        self.up_host, self.up_port = u.hostname or "127.0.0.1", u.port or 80
        self.lock = threading.Lock()
        self.log = open(log_path, "a", buffering=1) if log_path else None
        self.configure({})

    def configure(self, cfg: dict) -> None:
        with self.lock:
            self.rate = float(cfg.get("rate", 0.0))
            self.seed = str(cfg.get("seed", "0"))
            kinds = cfg.get("kinds") or list(FAULT_KINDS)
            bad = [k for k in kinds if k not in FAULT_KINDS]
            if bad:
                raise ValueError(f"unknown fault kinds {bad}; known: {FAULT_KINDS}")
            self.kinds = list(kinds)
            self.hold = cfg.get("hold")  # "service:Action" or None
            self.drop_once = cfg.get("drop_once")
            self.seen: dict[str, int] = {}
            self.faults: dict[str, int] = {}
            self.faults_by_action: dict[str, dict[str, int]] = {}
            self.requests = 0
            self.forwarded = 0
            self.held: list[dict] = []
            self.dropped_once: list[dict] = []
            self.release_event = threading.Event()
            self.hold_done = False
            self.drop_done = False

    def stats(self) -> dict:
        with self.lock:
            return {
                "rate": self.rate,
                "seed": self.seed,
                "kinds": self.kinds,
                "hold": self.hold,
                "drop_once": self.drop_once,
                "requests": self.requests,
                "forwarded": self.forwarded,
                "faults": dict(self.faults),
                "faults_by_action": {k: dict(v) for k, v in self.faults_by_action.items()},
                "actions": dict(self.seen),
                "held": list(self.held),
                "dropped_once": list(self.dropped_once),
            }

    def decide(self, key: str) -> str | None:
        """The fault for this request (None: forward normally); counts it."""
        with self.lock:
            self.requests += 1
            n = self.seen.get(key, 0)
            self.seen[key] = n + 1
            if self.hold == key and not self.hold_done:
                self.hold_done = True
                return "hold"
            if self.drop_once == key and not self.drop_done:
                self.drop_done = True
                return "drop_once"
            if self.rate <= 0 or not self.kinds:
                return None
            h = hashlib.sha256(f"{self.seed}|{key}|{n}".encode()).digest()
            x = int.from_bytes(h[:8], "big") / 2**64
            if x >= self.rate:
                return None
            kind = self.kinds[int.from_bytes(h[8:12], "big") % len(self.kinds)]
            self.faults[kind] = self.faults.get(kind, 0) + 1
            self.faults_by_action.setdefault(key, {})
            self.faults_by_action[key][kind] = self.faults_by_action[key].get(kind, 0) + 1
            return kind

    def record(self, **ev) -> None:
        if self.log:
            ev["t"] = round(time.time(), 3)
            with self.lock:
                self.log.write(json.dumps(ev) + "\n")


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Resets (RST) the client's connection: SO_LINGER 0 then close."""
    sock = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    for f in (handler.wfile, handler.rfile):
        try:
            f.close()
        except OSError:
            pass
    try:
        sock.close()
    except OSError:
        pass
    handler.close_connection = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"
    faults: Faults  # set on the class by make_server

    def log_message(self, fmt, *args):  # quiet
        pass

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, headers: dict, body: bytes, head: bool = False) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _control(self, body: bytes) -> None:
        f = self.faults
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == "/__faultproxy/stats":
                out = f.stats()
            elif path == "/__faultproxy/config" and self.command == "POST":
                f.release_event.set()  # a new configuration lets go of any held request
                f.configure(json.loads(body or b"{}"))
                out = {"ok": True}
            elif path == "/__faultproxy/release" and self.command == "POST":
                f.release_event.set()
                out = {"ok": True}
            else:
                self._send(404, {"Content-Type": "application/json"}, b'{"error":"unknown control path"}')
                return
            self._send(200, {"Content-Type": "application/json"}, json.dumps(out).encode())
        except ValueError as e:
            self._send(400, {"Content-Type": "application/json"}, json.dumps({"error": str(e)}).encode())

    def _forward(self, body: bytes) -> tuple[int, list, bytes]:
        f = self.faults
        conn = http.client.HTTPConnection(f.up_host, f.up_port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "expect"}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, [(k, v) for k, v in r.getheaders() if k.lower() not in HOP_BY_HOP], data
        finally:
            conn.close()

    def _handle(self) -> None:
        body = self._read_body()
        if self.path.startswith("/__faultproxy/"):
            self._control(body)
            return
        f = self.faults
        service, action = classify(self.command, self.path, self.headers, body)
        key = f"{service}:{action}"
        fault = f.decide(key)
        ev = {"action": key, "fault": fault}
        if fault in ("throttle", "500", "503"):
            status, headers, data = error_response(service, fault)
            f.record(**ev, status=status)
            self._send(status, headers, data, head=self.command == "HEAD")
            return
        if fault == "reset":
            f.record(**ev)
            reset_connection(self)
            return
        try:
            status, headers, data = self._forward(body)
        except OSError as e:
            f.record(**ev, upstream_error=str(e))
            self._send(502, {"Content-Type": "text/plain"}, f"faultproxy: upstream error: {e}".encode())
            return
        with f.lock:
            f.forwarded += 1
        ev["status"] = status
        f.record(**ev)
        if fault == "drop":
            reset_connection(self)
            return
        if fault == "drop_once":
            with f.lock:
                f.dropped_once.append({"action": key, "status": status, "t": time.time()})
            reset_connection(self)
            return
        if fault == "hold":
            release = f.release_event
            with f.lock:
                f.held.append({"action": key, "status": status, "t": time.time()})
            release.wait()
            reset_connection(self)
            return
        hdrs = {}
        for k, v in headers:
            hdrs[k] = v
        self._send(status, hdrs, data, head=self.command == "HEAD")

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that went away (killed sakk, reset connections) is expected here.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, OSError, ValueError)):
            return
        super().handle_error(request, client_address)


def make_server(listen: str, upstream: str, log_path: str | None = None) -> Server:
    host, _, port = listen.rpartition(":")
    faults = Faults(upstream, log_path)
    handler = type("BoundHandler", (Handler,), {"faults": faults})
    srv = Server((host or "127.0.0.1", int(port or 0)), handler)
    srv.faults = faults  # type: ignore[attr-defined]
    return srv


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (port 0: a free one)")
    ap.add_argument("--upstream", required=True, help="moto's URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--rate", type=float, default=0.0, help="probability of a fault per request (0..1)")
    ap.add_argument("--seed", default="0")
    ap.add_argument("--kinds", default=",".join(FAULT_KINDS), help=f"comma-separated subset of {','.join(FAULT_KINDS)}")
    ap.add_argument("--hold", help="service:Action whose first request reaches moto and is never answered")
    ap.add_argument("--drop-once", help="service:Action whose first response is dropped after moto acted")
    ap.add_argument("--port-file", help="write the port listened on to this file once listening")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    a = ap.parse_args(argv)
    srv = make_server(a.listen, a.upstream, a.log)
    srv.faults.configure(
        {"rate": a.rate, "seed": a.seed, "kinds": [k for k in a.kinds.split(",") if k], "hold": a.hold, "drop_once": a.drop_once}
    )
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as fh:
            fh.write(f"{port}\n")
        import os

        os.replace(a.port_file + ".tmp", a.port_file)
    print(f"faultproxy listening on 127.0.0.1:{port} -> {a.upstream}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.faults.release_event.set()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
