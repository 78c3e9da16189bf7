"""A real SMTP server for the notification tests: aiosmtpd (the asyncio SMTP server from the
aio-libs project), started on 127.0.0.1:PORT in one of three modes, with AUTH LOGIN/PLAIN
checked against one user. Each message is written whole to OUT/NNNN.eml (the DATA payload as
received) beside OUT/NNNN.json (envelope sender and recipients, whether TLS was on, whether the
client authenticated). Prints "READY" once it accepts connections; runs until killed.

usage: smtp_server.py MODE PORT CERT KEY USER PASSWORD OUT
  MODE: starttls (STARTTLS required before AUTH and MAIL), implicit (TLS from the first byte),
        plain (no TLS, no AUTH: a local relay)
"""
import json
import logging
import os
import pathlib
import ssl
import sys
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, user, password, out = sys.argv[1:8]
out = pathlib.Path(out)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len(list(out.glob("*.eml")))
        meta = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(getattr(session, "authenticated", False)),
        }
        tmp = out / f"{n:04}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        (out / f"{n:04}.json").write_text(json.dumps(meta))
        os.rename(tmp, out / f"{n:04}.eml")
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    return AuthResult(success=ok, handled=False)


# Implicit TLS is TLS from the first byte, which aiosmtpd's AUTH-without-STARTTLS warning
# does not know; keep the test output to real failures.
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=int(port))
if mode == "starttls":
    controller = Controller(Handler(), tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_required=True, auth_require_tls=True, **common)
elif mode == "implicit":
    controller = Controller(Handler(), ssl_context=context, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False, **common)
else:
    controller = Controller(Handler(), **common)
controller.start()
print("READY", flush=True)
while True:
    time.sleep(3600)
