#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd), and a reader of what it got.

  smtp_server.py serve --port P --dir D [--auth USER:PASS] [--cert C.pem --key K.pem]
                       [--refuse ADDR ...] [--drop ADDR ...] [--lose-reply ADDR ...]
                       [--slow-reply ADDR:SECONDS ...] [--chaos SEED]
      Stores each message as D/NNNN.eml (bytes as received) with D/NNNN.json beside it (the
      envelope, the login and whether the session was under TLS). --cert/--key offer STARTTLS
      and require it before AUTH; --auth requires a login. --refuse answers 550 to RCPT TO of
      that address; --drop closes the connection at RCPT TO of that address; --lose-reply stores
      the message for that address, then closes the connection without the 250 reply (SMTP's
      known ambiguity); --slow-reply stores it and answers only after SECONDS. --chaos SEED turns
      on random faults for the soak test: about one connection in ten is dropped at greeting or
      RCPT, one RCPT in ten is refused (450 or 550), one message in ten is dropped before it is
      stored, one in ten is stored and its reply lost, and one reply in ten is delayed. Prints
      "listening" once it accepts connections; stops on SIGTERM or SIGINT.

  smtp_server.py show D
      Prints a JSON list of the stored messages, decoded by Python's email package: envelope,
      Subject/From/To/Cc as a client shows them, the plain-text body, and each attachment's
      file name, size and sha256.
"""
import argparse
import asyncio
import email
import hashlib
import json
import os
import random
import signal
import ssl
import sys
import threading
from email import policy


def serve(a):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    os.makedirs(a.dir, exist_ok=True)
    lock = threading.Lock()
    count = [0]

    rng = random.Random(a.chaos)
    slow = {k.lower(): float(v) for k, v in (s.rsplit(":", 1) for s in a.slow_reply)}

    def chance(p):
        return a.chaos is not None and rng.random() < p

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            if chance(0.05):
                server.transport.abort()
            session.host_name = hostname
            return responses

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower() in a.refuse:
                return "550 5.1.1 no such mailbox here"
            if address.lower() in a.drop or chance(0.05):
                server.transport.abort()
                return "250 OK"
            if chance(0.1):
                return rng.choice(["450 4.2.1 try again later", "550 5.1.1 no such mailbox here"])
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            rcpt = envelope.rcpt_tos[0].lower() if envelope.rcpt_tos else ""
            if chance(0.1):
                server.transport.abort()
                return "451 dropped before storing"
            if chance(0.1):
                await asyncio.sleep(rng.uniform(0.02, 0.2))
            n = store(session, envelope)
            if rcpt in a.lose_reply or chance(0.1):
                server.transport.abort()
                return "250 stored, but nobody hears this"
            if rcpt in slow:
                await asyncio.sleep(slow[rcpt])
            return f"250 2.0.0 stored as {n:04d}"

    def store(session, envelope):
        with lock:
            count[0] += 1
            n = count[0]
        stem = os.path.join(a.dir, f"{n:04d}")
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        meta = {"mail_from": envelope.mail_from, "rcpt_to": envelope.rcpt_tos, "login": login,
                "tls": session.ssl is not None}
        data = envelope.original_content or envelope.content
        for path, body in ((stem + ".eml", data), (stem + ".json", json.dumps(meta).encode())):
            with open(path + ".part", "wb") as f:
                f.write(body)
            os.replace(path + ".part", path)
        return n

    kw = {}
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(a.cert))
    if a.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
        kw.update(tls_context=context, require_starttls=True)
    controller = Controller(Handler(), hostname="127.0.0.1", port=a.port, enable_SMTPUTF8=True, **kw)
    controller.start()
    print("listening", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(600)
    controller.stop()
    return 0


def show(a):
    out = []
    for name in sorted(f for f in os.listdir(a.dir) if f.endswith(".eml")):
        raw = open(os.path.join(a.dir, name), "rb").read()
        meta = json.load(open(os.path.join(a.dir, name[:-4] + ".json")))
        m = email.message_from_bytes(raw, policy=policy.default)
        body = m.get_body(("plain",))
        rec = dict(meta, file=name, subject=str(m["Subject"]), message_id=str(m["Message-ID"]), sender=str(m["From"]), to=str(m["To"] or ""),
                   cc=str(m["Cc"] or ""), body=body.get_content() if body is not None else None, attachments=[])
        for part in m.iter_attachments():
            data = part.get_payload(decode=True) or b""
            rec["attachments"].append({"filename": part.get_filename(), "type": part.get_content_type(),
                                       "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        out.append(rec)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--auth")
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--refuse", action="append", default=[], type=str.lower)
    s.add_argument("--drop", action="append", default=[], type=str.lower)
    s.add_argument("--lose-reply", action="append", default=[], type=str.lower)
    s.add_argument("--slow-reply", action="append", default=[])
    s.add_argument("--chaos", type=int)
    v = sub.add_parser("show")
    v.add_argument("dir")
    a = ap.parse_args()
    return serve(a) if a.cmd == "serve" else show(a)


if __name__ == "__main__":
    sys.exit(main())
