#!/usr/bin/env python3
"""An independent SEP-10 client: the Python stellar-sdk (py-stellar-base) against our server.

For each mode it requests a challenge (GET), checks it with
stellar_sdk.sep.stellar_web_authentication.read_challenge_transaction (server signature,
sequence 0, time bounds, home domain, web_auth_domain, nonce, memo/muxed rules), signs it with
the client key (and the wallet's client-domain key), POSTs it (JSON, then form-encoded), and
prints one JSON line per mode with the token. The Rust test driving it checks the tokens.

Environment: SEP10_ENDPOINT, SEP10_SERVER_KEY, SEP10_HOME_DOMAIN, SEP10_WEB_AUTH_DOMAIN,
SEP10_PASSPHRASE, SEP10_CLIENT_SECRET, SEP10_CLIENT_DOMAIN, SEP10_CLIENT_DOMAIN_SECRET.
Arguments: the modes to run (g, memo, muxed, client_domain).
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from stellar_sdk import Keypair, MuxedAccount
from stellar_sdk.sep.stellar_web_authentication import read_challenge_transaction


def http(method, url, body=None, content_type=None):
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def run(mode, env, form):
    client = Keypair.from_secret(env["SEP10_CLIENT_SECRET"])
    params = {"account": client.public_key}
    expected_account = client.public_key
    signers = [client]
    if mode == "memo":
        params["memo"] = "18446744073709551615"
    elif mode == "muxed":
        expected_account = MuxedAccount(client.public_key, 9223372036854775808).account_muxed
        params["account"] = expected_account
    elif mode == "client_domain":
        params["client_domain"] = env["SEP10_CLIENT_DOMAIN"]
        signers.append(Keypair.from_secret(env["SEP10_CLIENT_DOMAIN_SECRET"]))
    status, body = http("GET", env["SEP10_ENDPOINT"] + "?" + urllib.parse.urlencode(params))
    if status != 200:
        raise SystemExit(f"{mode}: GET answered {status}: {body}")
    if body.get("network_passphrase") != env["SEP10_PASSPHRASE"]:
        raise SystemExit(f"{mode}: unexpected network_passphrase {body.get('network_passphrase')}")

    challenge = read_challenge_transaction(
        challenge_transaction=body["transaction"],
        server_account_id=env["SEP10_SERVER_KEY"],
        home_domains=env["SEP10_HOME_DOMAIN"],
        web_auth_domain=env["SEP10_WEB_AUTH_DOMAIN"],
        network_passphrase=env["SEP10_PASSPHRASE"],
    )
    if challenge.client_account_id != expected_account:
        raise SystemExit(f"{mode}: challenge is for {challenge.client_account_id}, not {expected_account}")
    if mode == "memo" and challenge.memo != 18446744073709551615:
        raise SystemExit(f"{mode}: memo {challenge.memo}")
    if challenge.matched_home_domain != env["SEP10_HOME_DOMAIN"]:
        raise SystemExit(f"{mode}: home domain {challenge.matched_home_domain}")

    envelope = challenge.transaction
    for signer in signers:
        envelope.sign(signer)
    signed = envelope.to_xdr()
    if form:
        status, body = http(
            "POST",
            env["SEP10_ENDPOINT"],
            urllib.parse.urlencode({"transaction": signed}).encode(),
            "application/x-www-form-urlencoded",
        )
    else:
        status, body = http(
            "POST", env["SEP10_ENDPOINT"], json.dumps({"transaction": signed}).encode(), "application/json"
        )
    if status != 200 or "token" not in body:
        raise SystemExit(f"{mode}: POST answered {status}: {body}")
    # The same signed challenge a second time must be refused (single use).
    status, again = http(
        "POST", env["SEP10_ENDPOINT"], json.dumps({"transaction": signed}).encode(), "application/json"
    )
    if status != 400:
        raise SystemExit(f"{mode}: replay answered {status}: {again}")
    return {"mode": mode, "account": expected_account, "token": body["token"], "form": form}


def main():
    env = os.environ
    for index, mode in enumerate(sys.argv[1:]):
        print(json.dumps(run(mode, env, form=index % 2 == 1)), flush=True)


if __name__ == "__main__":
    main()
