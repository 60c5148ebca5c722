"""A real SMTP server on loopback for tests/ereceipt.rs (aiosmtpd, Debian's python3-aiosmtpd).

Usage: smtp_sink.py PORT DIR [accept|refuse]
Prints "ready" once listening. Each message accepted is written to DIR as N.eml (as received)
and N.json (its recipients and its decoded parts: content type and text), so that the test
reads the parts whatever transfer encoding the client chose. In `refuse` mode every recipient
is refused with a permanent 550 that echoes the address, as real relays do.
"""

import asyncio
import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"550 5.1.1 <{address}>: recipient refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, str(self.count))
        with open(base + ".eml", "wb") as out:
            out.write(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = [
            {"content_type": part.get_content_type(), "text": part.get_content()}
            for part in message.walk()
            if not part.is_multipart()
        ]
        summary = {
            "rcpt_tos": envelope.rcpt_tos,
            "content_type": message.get_content_type(),
            "subject": str(message["subject"]),
            "parts": parts,
        }
        with open(base + ".tmp", "w", encoding="utf-8") as out:
            json.dump(summary, out)
        os.rename(base + ".tmp", base + ".json")
        return "250 2.0.0 OK queued"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    refuse = len(sys.argv) > 3 and sys.argv[3] == "refuse"
    controller = Controller(Sink(folder, refuse), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
