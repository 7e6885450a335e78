"""A real SMTP server on loopback for anchor-aml's notification tests (aiosmtpd).

Usage: python3 smtp_sink.py MAILBOX_FILE
Listens on 127.0.0.1 on a free port, prints the port on the first line of stdout, and appends
every accepted message to MAILBOX_FILE as one JSON line, parsed by Python's own email package
(envelope sender and recipients, From, To, Subject, Message-ID, the plain-text body). Exits when
its standard input closes, so it never outlives the test that started it.
"""

import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "content_type": message.get_content_type(),
            "body": body.get_content() if body is not None else None,
        }
        with open(self.path, "a", encoding="utf-8") as mailbox:
            mailbox.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


async def main():
    path = sys.argv[1]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink(path)), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
