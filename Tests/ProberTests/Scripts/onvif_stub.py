#!/usr/bin/env python3
"""A small ONVIF device service stub (SOAP 1.2 over HTTP, Python standard library only).

No ONVIF device simulator exists in Debian or PyPI; this one answers what the prober asks and
checks it the way cameras do:

  GetSystemDateAndTime  without credentials, from a clock that is --skew seconds off
  GetDeviceInformation  needs WS-UsernameToken PasswordDigest whose Created is within 5 min of the
                        stub's (skewed) clock, with a nonce never seen before; PasswordText refused
  GetCapabilities       (for the reference client onvif-zeep, which asks for it first)

--http-auth digest|basic additionally wants HTTP authentication on the signed calls. Every request
is logged (GET /stub/log): which WS-Security password type came, whether the token was accepted,
which HTTP authentication came, and whether the plain password appeared anywhere in the request
(headers or body, or inside a Basic header) — the tests assert it never does.
POST /stub/identity {"serial": ..., "firmware": ...} changes what the device reports;
POST /stub/clock {"skew": S} sets its clock S seconds off (0 = right).

Events (ONVIF PullPoint): GetCapabilities names the event service; CreatePullPointSubscription
(signed like GetDeviceInformation) opens a pull point living InitialTerminationTime seconds, which
first reports the current SignalLoss state (PropertyOperation Initialized); PullMessages waits up to
its Timeout for events; Renew extends it; Unsubscribe ends it; an expired or unknown pull point is a
ResourceUnknown fault. POST /stub/event {"kind": "signal_loss"|"tamper", "state": true|false}
emits an event to every open pull point; POST /stub/refuse-renew {"count": N} refuses the next N
renewals (a fault), as a camera that dropped the subscription does.

Usage: onvif_stub.py PORT [--skew S] [--user U] [--password P] [--serial X] [--firmware F]
                          [--model M] [--http-auth none|digest|basic] [--garbage]
Prints "READY <port>" when listening. Ends when its stdin closes, and after 300 s regardless.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--skew", type=float, default=0)
parser.add_argument("--user", default="admin")
parser.add_argument("--password", default="secret")
parser.add_argument("--serial", default="SN-0001")
parser.add_argument("--firmware", default="V5.7.3 build 240101")
parser.add_argument("--model", default="DS-2CD2143G2-I")
parser.add_argument("--manufacturer", default="Stubvision")
parser.add_argument("--http-auth", default="none", choices=["none", "digest", "basic"])
parser.add_argument("--garbage", action="store_true", help="answer GetDeviceInformation with a DTD (entity expansion)")
args = parser.parse_args()
# Started from a thread that blocks SIGTERM, this process inherits that mask: undo it, so a plain
# `kill PID` ends the stub too (the tests SIGKILL it; see Process.killAndReap in TestSupport).
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

state = {"serial": args.serial, "firmware": args.firmware, "skew": args.skew, "log": [], "nonces": set(),
         "subscriptions": {}, "next_subscription": 1, "signal_loss": False, "refuse_renew": 0}
lock = threading.RLock()
# Signalled when an event is queued, so a waiting PullMessages answers at once.
events_ready = threading.Condition(lock)
digest_nonces = set()

SOAP = "http://www.w3.org/2003/05/soap-envelope"
PASSWORD_DIGEST = "#PasswordDigest"


def camera_now():
    with lock:
        skew = state["skew"]
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew)


def envelope(body):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<env:Envelope xmlns:env="{SOAP}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
            'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error">'
            f'<env:Body>{body}</env:Body></env:Envelope>').encode()


def fault(subcode, text):
    return envelope('<env:Fault><env:Code><env:Value>env:Sender</env:Value>'
                    f'<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode></env:Code>'
                    f'<env:Reason><env:Text xml:lang="en">{text}</env:Text></env:Reason></env:Fault>')


def date_time():
    now = camera_now()
    # tt:DateTime is a sequence: Time, then Date (onvif.xsd).
    part = (f'<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute><tt:Second>{now.second}</tt:Second></tt:Time>'
            f'<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date>')
    return envelope('<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>'
                    '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>'
                    '<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>'
                    f'<tt:UTCDateTime>{part}</tt:UTCDateTime><tt:LocalDateTime>{part}</tt:LocalDateTime>'
                    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>')


def device_information():
    with lock:
        serial, firmware = state["serial"], state["firmware"]
    return envelope('<tds:GetDeviceInformationResponse>'
                    f'<tds:Manufacturer>{args.manufacturer}</tds:Manufacturer><tds:Model>{args.model}</tds:Model>'
                    f'<tds:FirmwareVersion>{firmware}</tds:FirmwareVersion><tds:SerialNumber>{serial}</tds:SerialNumber>'
                    '<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>')


def capabilities(host):
    # The event service is named by an inside address, as a camera behind NAT does: the client
    # must keep the host and port it was given and take only the path.
    return envelope('<tds:GetCapabilitiesResponse><tds:Capabilities>'
                    f'<tt:Device><tt:XAddr>http://{host}/onvif/device_service</tt:XAddr></tt:Device>'
                    '<tt:Events><tt:XAddr>http://192.168.0.64/onvif/event_service</tt:XAddr>'
                    '<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>'
                    '<tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events>'
                    '</tds:Capabilities></tds:GetCapabilitiesResponse>')


WSNT = 'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsa5="http://www.w3.org/2005/08/addressing"'
TOPICS = {"signal_loss": ("tns1:VideoSource/SignalLoss", "State"), "tamper": ("tns1:RuleEngine/TamperDetector/Tamper", "IsTamper")}


def stamp(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(body, name, default):
    _, text = tag(body, name)
    found = re.fullmatch(r"PT(\d+)S", text or "")
    return min(int(found.group(1)), 3600) if found else default


def notification(kind, value, operation):
    topic, item = TOPICS[kind]
    return ('<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
            f'{topic}</wsnt:Topic><wsnt:Message><tt:Message UtcTime="{stamp(camera_now())}" PropertyOperation="{operation}">'
            '<tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source>'
            f'<tt:Data><tt:SimpleItem Name="{item}" Value="{"true" if value else "false"}"/></tt:Data></tt:Message></wsnt:Message>'
            '</wsnt:NotificationMessage>')


def events_envelope(body):
    return envelope(body).replace(b'xmlns:ter=', ('%s xmlns:ter=' % WSNT).encode(), 1)


def create_subscription(body, host):
    lease = seconds(body, "InitialTerminationTime", 60)
    with lock:
        number = state["next_subscription"]
        state["next_subscription"] += 1
        end = camera_now() + datetime.timedelta(seconds=lease)
        state["subscriptions"][number] = {"end": end, "queue": [notification("signal_loss", state["signal_loss"], "Initialized")]}
    return events_envelope('<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>'
                           f'<wsa5:Address>http://192.168.0.64/onvif/pullpoint/{number}</wsa5:Address></tev:SubscriptionReference>'
                           f'<wsnt:CurrentTime>{stamp(camera_now())}</wsnt:CurrentTime><wsnt:TerminationTime>{stamp(end)}</wsnt:TerminationTime>'
                           '</tev:CreatePullPointSubscriptionResponse>'), number


def live_subscription(path):
    """The open pull point at path (lock held), or None."""
    found = re.fullmatch(r"/onvif/pullpoint/(\d+)", path)
    sub = state["subscriptions"].get(int(found.group(1))) if found else None
    if sub is not None and sub["end"] < camera_now():
        del state["subscriptions"][int(found.group(1))]
        return None
    return sub


def unknown_resource():
    return fault("wsrf-rw:ResourceUnknownFault", "no such subscription (expired or ended)")


def tag(body, name):
    found = re.search(r"<(?:[\w.-]+:)?%s\b([^>]*)>(.*?)</(?:[\w.-]+:)?%s>" % (name, name), body, re.S)
    return (found.group(1), found.group(2).strip()) if found else (None, None)


def check_token(body):
    """(accepted, password type, why) for the WS-Security UsernameToken in body."""
    attributes, password = tag(body, "Password")
    if password is None:
        return False, None, "no UsernameToken"
    kind = "digest" if attributes and PASSWORD_DIGEST in attributes else "text"
    if kind != "digest":
        return False, kind, "PasswordText is refused: send PasswordDigest"
    _, user = tag(body, "Username")
    _, nonce = tag(body, "Nonce")
    _, created = tag(body, "Created")
    if user != args.user or not nonce or not created:
        return False, kind, "unknown user or incomplete token"
    try:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return False, kind, "Created is not a time"
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    if abs((when - camera_now()).total_seconds()) > 300:
        return False, kind, "Created is more than 5 min off the device clock"
    with lock:
        if nonce in state["nonces"]:
            return False, kind, "nonce replayed"
        state["nonces"].add(nonce)
    raw_nonce = base64.b64decode(nonce)
    expected = base64.b64encode(hashlib.sha1(raw_nonce + created.encode() + args.password.encode()).digest()).decode()
    return (password == expected), kind, ("ok" if password == expected else "wrong digest")


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms per call on loopback), which the bench would report as the checker's time.
    disable_nagle_algorithm = True

    def log_message(self, *_):
        pass

    def send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/stub/log":
            with lock:
                body = json.dumps(state["log"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send(404, b"")

    def http_auth(self):
        """(ok, kind) of the HTTP Authorization header against --http-auth."""
        header = self.headers.get("Authorization", "")
        if args.http_auth == "none":
            return True, None
        if args.http_auth == "basic":
            expected = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
            return header == expected, ("basic" if header.startswith("Basic") else None)
        if not header.startswith("Digest "):
            return False, None
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
        if fields.get("nonce") not in digest_nonces or fields.get("username") != args.user:
            return False, "digest"
        ha1 = md5(f"{args.user}:onvif:{args.password}")
        ha2 = md5(f"POST:{fields.get('uri', '')}")
        if fields.get("qop") == "auth":
            expected = md5(f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}")
        else:
            expected = md5(f"{ha1}:{fields['nonce']}:{ha2}")
        return fields.get("response") == expected, "digest"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(min(length, 1 << 20))
        if self.path == "/stub/identity":
            change = json.loads(raw or b"{}")
            with lock:
                state.update({k: v for k, v in change.items() if k in ("serial", "firmware")})
            self.send(200, b"{}")
            return
        if self.path == "/stub/event":
            change = json.loads(raw or b"{}")
            kind, value = change.get("kind", "signal_loss"), bool(change.get("state", True))
            with lock:
                if kind == "signal_loss":
                    state["signal_loss"] = value
                for sub in state["subscriptions"].values():
                    sub["queue"].append(notification(kind, value, "Changed"))
                events_ready.notify_all()
            self.send(200, b"{}")
            return
        if self.path == "/stub/refuse-renew":
            with lock:
                state["refuse_renew"] = int(json.loads(raw or b"{}").get("count", 1))
            self.send(200, b"{}")
            return
        if self.path == "/stub/clock":
            change = json.loads(raw or b"{}")
            with lock:
                state["skew"] = float(change.get("skew", 0))
            self.send(200, b"{}")
            return
        body = raw.decode("utf-8", "replace")
        headers = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
        basic = self.headers.get("Authorization", "")
        clear = args.password in body or args.password in headers
        if basic.startswith("Basic "):
            try:
                clear = clear or args.password in base64.b64decode(basic[6:]).decode("utf-8", "replace")
            except ValueError:
                pass
        operations = ("GetSystemDateAndTime", "GetDeviceInformation", "GetCapabilities", "CreatePullPointSubscription", "PullMessages",
                      "Unsubscribe", "Renew")
        operation = next((op for op in operations if op in body), "unknown")
        entry = {"op": operation, "password_in_clear": clear, "wsse": None, "token_accepted": None, "http_auth": None}
        try:
            if operation == "GetSystemDateAndTime":
                self.send(200, date_time())
                return
            if operation == "unknown":
                self.send(400, fault("ter:ActionNotSupported", "unknown operation"))
                return
            ok_http, entry["http_auth"] = self.http_auth()
            if not ok_http:
                nonce = secrets.token_hex(16)
                digest_nonces.add(nonce)
                challenge = f'Digest realm="onvif", qop="auth", nonce="{nonce}", algorithm=MD5' if args.http_auth == "digest" else 'Basic realm="onvif"'
                self.send(401, b"", [("WWW-Authenticate", challenge)])
                return
            if args.http_auth == "none":
                accepted, entry["wsse"], why = check_token(body)
                entry["token_accepted"] = accepted
                entry["why"] = why
                if not accepted:
                    self.send(400, fault("ter:NotAuthorized", f"Sender not authorized: {why}"))
                    return
            if operation == "GetCapabilities":
                self.send(200, capabilities(self.headers.get("Host", "127.0.0.1")))
            elif operation == "CreatePullPointSubscription":
                reply, entry["subscription"] = create_subscription(body, self.headers.get("Host", "127.0.0.1"))
                self.send(200, reply)
            elif operation in ("PullMessages", "Renew", "Unsubscribe"):
                entry["path"] = self.path
                self.subscription_call(operation, body, entry)
            elif args.garbage:
                self.send(200, b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                               b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>&lol2;</env:Body></env:Envelope>')
            else:
                self.send(200, device_information())
        finally:
            with lock:
                state["log"].append(entry)


def pull(sub, body):
    """Waits (lock held) up to the request's Timeout for events, then takes at most MessageLimit."""
    wait = min(seconds(body, "Timeout", 10), 60)
    _, limit_text = tag(body, "MessageLimit")
    limit = int(limit_text) if limit_text and limit_text.isdigit() else 10
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=wait)
    while not sub["queue"]:
        left = (deadline - datetime.datetime.now()).total_seconds()
        if left <= 0:
            break
        events_ready.wait(left)
    taken, sub["queue"] = sub["queue"][:limit], sub["queue"][limit:]
    return taken


def subscription_call(self, operation, body, entry):
    with lock:
        sub = live_subscription(self.path)
        if sub is None:
            entry["unknown"] = True
            reply = (400, unknown_resource())
        elif operation == "PullMessages":
            taken = pull(sub, body)
            entry["messages"] = len(taken)
            reply = (200, events_envelope('<tev:PullMessagesResponse>'
                                          f'<tev:CurrentTime>{stamp(camera_now())}</tev:CurrentTime><tev:TerminationTime>{stamp(sub["end"])}</tev:TerminationTime>'
                                          + "".join(taken) + '</tev:PullMessagesResponse>'))
        elif operation == "Renew":
            if state["refuse_renew"] > 0:
                state["refuse_renew"] -= 1
                entry["refused"] = True
                for number, value in list(state["subscriptions"].items()):
                    if value is sub:
                        del state["subscriptions"][number]
                reply = (400, unknown_resource())
            else:
                sub["end"] = camera_now() + datetime.timedelta(seconds=seconds(body, "TerminationTime", 60))
                reply = (200, events_envelope('<wsnt:RenewResponse>'
                                              f'<wsnt:TerminationTime>{stamp(sub["end"])}</wsnt:TerminationTime>'
                                              f'<wsnt:CurrentTime>{stamp(camera_now())}</wsnt:CurrentTime></wsnt:RenewResponse>'))
        else:
            for number, value in list(state["subscriptions"].items()):
                if value is sub:
                    del state["subscriptions"][number]
            reply = (200, events_envelope('<wsnt:UnsubscribeResponse/>'))
    self.send(*reply)


Handler.subscription_call = subscription_call

server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"READY {args.port}", flush=True)
# Ends when the test drops its end of stdin, or after 300 s.
watchdog = threading.Timer(300, lambda: os._exit(0))
watchdog.daemon = True
watchdog.start()
sys.stdin.read()
os._exit(0)
