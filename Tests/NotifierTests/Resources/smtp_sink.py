"""A real SMTP server on loopback for the notifier's email tests (aiosmtpd).

Usage: smtp_sink.py PORT OUTDIR [--auth USER:PASS] [--starttls CERT KEY]
Writes each received mail as OUTDIR/<n>.json: envelope sender/recipients, decoded subject and
body, the raw headers, and whether the session used TLS and AUTH. Prints "ready" when listening.
"""
import asyncio, email, email.header, email.policy, json, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, outdir = int(sys.argv[1]), sys.argv[2]
args = sys.argv[3:]
auth = None
tls = None
while args:
    if args[0] == "--auth":
        auth = args[1].split(":", 1); args = args[2:]
    elif args[0] == "--starttls":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args[1], args[2]); args = args[3:]
    else:
        raise SystemExit("unknown argument " + args[0])

class Sink:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        Sink.count += 1
        record = {
            "from": envelope.mail_from, "to": envelope.rcpt_tos,
            "subject": str(message["subject"]), "body": message.get_content(),
            "headers": {k: str(v) for k, v in message.items()},
            "tls": session.ssl is not None, "authenticated": bool(session.authenticated),
        }
        path = os.path.join(outdir, "%d.json" % Sink.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 OK queued"

def authenticator(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and auth and data.login.decode() == auth[0] and data.password.decode() == auth[1]
    return AuthResult(success=bool(ok), handled=False)

kwargs = dict(hostname="127.0.0.1", port=port)
if auth:
    kwargs.update(authenticator=authenticator, auth_require_tls=tls is not None, auth_required=True)
if tls:
    kwargs.update(tls_context=tls, require_starttls=True)
controller = Controller(Sink(), **kwargs)
controller.start()
print("ready", flush=True)
# Bounded: a test fixture never outlives its test by much.
deadline = time.time() + 300
while time.time() < deadline and os.getppid() != 1:
    time.sleep(0.2)
controller.stop()
