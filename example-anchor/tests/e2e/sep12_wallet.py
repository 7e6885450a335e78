#!/usr/bin/env python3
"""An independent wallet against the running example anchor: SEP-10 with the Python stellar-sdk
(py-stellar-base), then SEP-12 over plain HTTP (urllib, no framework code).

It authenticates a fresh account (read_challenge_transaction checks the server's signature, home
domain and web_auth_domain), creates a customer with JSON, completes it with a multipart body
carrying a PNG file part, reads it back, checks a few refusals, and prints one JSON line with the
token, the account and the customer id. The Rust test driving it then reviews the customer
through the internal API and checks the result.

Environment: ANCHOR_URL (http://127.0.0.1:PORT), SEP10_SERVER_KEY, SEP10_HOME_DOMAIN,
SEP10_WEB_AUTH_DOMAIN, SEP10_PASSPHRASE.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from stellar_sdk import Keypair
from stellar_sdk.sep.stellar_web_authentication import read_challenge_transaction

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def expect(condition, message):
    if not condition:
        raise SystemExit(message)


def authenticate(env, keypair):
    base = env["ANCHOR_URL"]
    status, body = http("GET", f"{base}/auth?" + urllib.parse.urlencode({"account": keypair.public_key}))
    expect(status == 200, f"GET /auth answered {status}: {body}")
    challenge = read_challenge_transaction(
        challenge_transaction=body["transaction"],
        server_account_id=env["SEP10_SERVER_KEY"],
        home_domains=env["SEP10_HOME_DOMAIN"],
        web_auth_domain=env["SEP10_WEB_AUTH_DOMAIN"],
        network_passphrase=env["SEP10_PASSPHRASE"],
    )
    envelope = challenge.transaction
    envelope.sign(keypair)
    status, body = http(
        "POST",
        f"{base}/auth",
        json.dumps({"transaction": envelope.to_xdr()}).encode(),
        {"Content-Type": "application/json"},
    )
    expect(status == 200 and "token" in body, f"POST /auth answered {status}: {body}")
    return body["token"]


def multipart(texts, files):
    boundary = "py-wallet-boundary"
    parts = []
    for name, value in texts:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, content_type, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main():
    env = os.environ
    kyc = env["ANCHOR_URL"] + "/kyc/customer"
    keypair = Keypair.random()
    token = authenticate(env, keypair)
    auth = {"Authorization": f"Bearer {token}"}

    status, body = http("GET", kyc + "?type=sep31-sender", headers=auth)
    expect(status == 200 and body["status"] == "NEEDS_INFO" and "id" not in body, f"unknown customer: {body}")
    expect(body["fields"]["birth_date"]["type"] == "date", f"fields: {body}")

    status, body = http(
        "PUT",
        kyc,
        json.dumps({"type": "sep31-sender", "first_name": "Ada", "last_name": "Lovelace"}).encode(),
        {**auth, "Content-Type": "application/json"},
    )
    expect(status == 202 and "id" in body, f"PUT (JSON) answered {status}: {body}")
    customer_id = body["id"]

    data, content_type = multipart(
        [("type", "sep31-sender"), ("birth_date", "1815-12-10"), ("address_country_code", "GBR")],
        [("photo_id_front", "image/png", PNG)],
    )
    status, body = http("PUT", kyc, data, {**auth, "Content-Type": content_type})
    expect(status == 202 and body["id"] == customer_id, f"PUT (multipart) answered {status}: {body}")

    status, body = http("GET", kyc + "?" + urllib.parse.urlencode({"id": customer_id, "type": "sep31-sender"}), headers=auth)
    expect(status == 200 and body["status"] == "PROCESSING", f"GET by id: {body}")
    expect(body["provided_fields"]["photo_id_front"]["type"] == "binary", f"provided: {body}")

    status, body = http(
        "PUT", kyc, json.dumps({"favourite_colour": "blue"}).encode(), {**auth, "Content-Type": "application/json"}
    )
    expect(status == 400 and "favourite_colour" in body["error"], f"unknown field: {status} {body}")
    status, body = http("GET", kyc + "?" + urllib.parse.urlencode({"account": Keypair.random().public_key}), headers=auth)
    expect(status == 403, f"another account: {status} {body}")
    status, body = http("GET", kyc)
    expect(status == 403, f"no token: {status} {body}")

    print(json.dumps({"token": token, "account": keypair.public_key, "id": customer_id}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
