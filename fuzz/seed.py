#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/ (seed-*), from the
repository's test vectors (anchor-*/tests/data) and a few hand-written inputs. Run from the
repository root; `cargo fuzz cmin` then keeps what adds coverage."""
import base64, json, os, pathlib, urllib.parse

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"

def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())

def read(path):
    return (root / path).read_bytes()

# SEP-10 challenge read: 0 = text as sent, 1 = raw XDR, 2 = raw XDR re-signed by the server.
for name in ["spec_challenge_server_signed", "spec_challenge_client_signed"]:
    text = read(f"anchor-sep10/tests/data/{name}.txt").strip()
    raw = base64.b64decode(text)
    put("sep10_challenge_read", f"{name}-text", b"\x00" + text)
    put("sep10_challenge_read", f"{name}-raw", b"\x01" + raw)
    put("sep10_challenge_read", f"{name}-resigned", b"\x02" + raw)

# POST /auth bodies: 0 = JSON, 1 = form, 2 = multipart (boundary XyZ4).
tx = read("anchor-sep10/tests/data/spec_challenge_client_signed.txt").decode().strip()
put("sep10_post_body", "json", b"\x00" + json.dumps({"transaction": tx}).encode())
put("sep10_post_body", "form", b"\x01" + ("transaction=" + urllib.parse.quote(tx, safe="")).encode())
multipart = (
    "--XyZ4\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\n" + tx + "\r\n"
    "--XyZ4\r\nContent-Disposition: form-data; name=\"other\"\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    "--XyZ4--\r\n"
)
put("sep10_post_body", "multipart", b"\x02" + multipart.encode())
put("sep10_post_body", "short-boundary", b"\x06--\n")

# The request JWT: 0 = header value as sent, 1 = `header.payload` the target signs.
jwt = read("anchor-sep10/tests/data/spec_request_jwt.txt").decode().strip()
put("sep10_jwt", "spec", b"\x00Bearer " + jwt.encode())
b64 = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()
claims = {"iat": 1699999990, "exp": 1700000300, "web_auth_endpoint": "https://anchor.example.com/auth",
          "account": "GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E", "memo": "42",
          "home_domain": "anchor.example.com"}
put("sep10_jwt", "signed-valid", "\x01" + b64({"alg": "EdDSA"}) + "." + b64(claims))
put("sep10_jwt", "signed-extra", "\x01" + b64({"alg": "EdDSA"}) + "." + b64({**claims, "client_domain": "x.com"}))

# SEP-3: 0 = the form body, 1 = the `data` JSON.
put("sep3_auth_request", "spec-form", b"\x00" + read("anchor-sep3/tests/data/spec_request_body.txt").strip())
put("sep3_auth_request", "spec-data", b"\x01" + read("anchor-sep3/tests/data/spec_data.json").strip())

# SEP-12 bodies: endpoint byte (even = PUT /customer, odd = verification), content-type byte.
fields = {"account": "GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E", "memo": "12",
          "memo_type": "id", "type": "sep31-sender", "first_name": "Aldi", "last_name": "Dobbs",
          "birth_date": "1980-02-29", "email_address": "a@example.com", "mobile_number": "+14155550100",
          "address_country_code": "USA", "id_type": "passport", "sex": "female",
          "photo_id_front_file_id": "file_1", "organization.name": "Acme"}
put("sep12_body", "json", b"\x00\x00" + json.dumps(fields).encode())
put("sep12_body", "form", b"\x00\x01" + urllib.parse.urlencode(fields).encode())
mp = "".join(f"--XyZ4\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
             for k, v in list(fields.items())[:6])
mp += ("--XyZ4\r\nContent-Disposition: form-data; name=\"photo_id_back\"; filename=\"b.png\"\r\n"
       "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ4--\r\n")
put("sep12_body", "multipart", b"\x00\x02" + mp.encode("latin-1"))
put("sep12_body", "verification", b"\x01\x00" + json.dumps(
    {"id": "d1ce2f48-3ff1-495d-9240-7a50d806cfed", "mobile_number_verification": "2735021"}).encode())

# stellar.toml: the example anchor's static part and a remote institution's file.
put("stellar_toml", "example-static", read("example-anchor/stellar.static.toml"))
put("stellar_toml", "remote", 'bank.example.com\nNETWORK_PASSPHRASE = "Test SDF Network ; September 2015"\n'
    'SIGNING_KEY = "GDEISG5WA25KU6HHB7N4HVQKID4A7FDDR3FKD32R6C7KCV7YLYKVY7S7"\n'
    'AUTH_SERVER = "https://bank.example.com/auth"\nFEDERATION_SERVER = "https://10.0.0.5/fed"\n'
    'WEB_AUTH_ENDPOINT = "https://[::ffff:10.0.0.1]/auth"\n[[CURRENCIES]]\ncode = "USD"\n'
    'issuer = "GDEISG5WA25KU6HHB7N4HVQKID4A7FDDR3FKD32R6C7KCV7YLYKVY7S7"\n[DOCUMENTATION]\nORG_NAME = "Bank"\n')

# Sanctions lists: the test excerpts.
screening = "anchor-screening/tests/data/"
put("list_ofac_xml", "sdn_advanced_mini", read(screening + "sdn_advanced_mini_2025-11-19.xml"))
put("list_ofac_csv", "legacy_tiny", b"\x00".join(read(screening + f"legacy_tiny_{n}.csv")
                                                  for n in ["sdn", "alt", "add", "sdn_comments"]))
put("list_ofac_csv", "legacy_tiny_sdn", read(screening + "legacy_tiny_sdn.csv"))
put("list_un", "un_mini", read(screening + "un_consolidated_mini_2026-02-27.xml"))
put("list_uk", "summary_mini", read(screening + "uk_summary_mini_2025-08-11.csv"))
put("list_uk", "full_hand_written", read(screening + "uk_sanctions_list_full_hand_written.csv"))
put("list_eu", "hand_written", read(screening + "eu_fsf_hand_written_1_1.xml"))
put("list_custom_csv", "blocklist",
    "id,name,kind,address,currency,program,birth_date,country\n"
    "1,Nicolas MADURO MOROS,person,,,VENEZUELA,1962-11-23,VE\n"
    "2,Acme Trading Ltd,organization,,,,,\n"
    "3,,person,GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E,,,,\n"
    "4,Wallet,person,0x7F367cC41522cE07553e823bf3be79A889DEbe1B,ETH,,1970,RU\n"
    "5,OCEAN STAR,vessel,,,,,\n")
put("list_custom_csv", "name-only", "name\nKim Jong Un\n\"Smith, John\"\n")

# Names to screen.
for i, name in enumerate(["Nicolás Maduro Moros", "MADURO MOROS, Nicolas", "Абу Бакр аль-Багдади",
                          "金正恩", "김정은", "Acme Trading Co. Ltd", "Mohammed bin Abdullah Al Rashidi",
                          "GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E", "O'Brien-Smith Jr."]):
    put("screen_name", f"name{i}", name)
# Long names (issue 14's worst cases): 2,000 Cyrillic letters, one 4,096-byte token, many tokens.
put("screen_name", "long-cyrillic", "Щ" * 2000)
put("screen_name", "long-token", "a" * 4096)
put("screen_name", "many-tokens", " ".join(["ab", "Мухаммад", "al"] * 300)[:4096])
