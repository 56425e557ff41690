#!/usr/bin/python3
"""OneLogin python3-saml as a SAML SP, for interop tests of our emitted Responses.

Usage: /usr/bin/python3 onelogin-sp.py --cert IDP_CERT.pem --idp-entity-id ID --audience SP_ENTITY_ID
           --acs ACS_URL [--request-id ID] [--signed assertion|response|both] RESPONSE.xml...
Prints one JSON object per response file, like pysaml2-sp.py. Strict mode: destination,
recipient, audience, issuer, validity window and InResponseTo are checked; the IdP
certificate is pinned from settings. Must run with Debian's /usr/bin/python3.
"""
import argparse
import base64
import json
import sys
from urllib.parse import urlsplit

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings


def pem_body(path):
    lines = open(path).read().strip().splitlines()
    return "".join(l for l in lines if not l.startswith("-----"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--idp-entity-id", required=True)
    ap.add_argument("--audience", required=True)
    ap.add_argument("--acs", required=True)
    ap.add_argument("--request-id")
    ap.add_argument("--signed", choices=["assertion", "response", "both"], default="assertion")
    ap.add_argument("responses", nargs="+")
    args = ap.parse_args()

    settings = OneLogin_Saml2_Settings({
        "strict": True,
        "sp": {
            "entityId": args.audience,
            "assertionConsumerService": {
                "url": args.acs, "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
        },
        "idp": {
            "entityId": args.idp_entity_id,
            "singleSignOnService": {
                "url": "https://idp.invalid/sso",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"},
            "x509cert": pem_body(args.cert),
        },
        "security": {
            "wantAssertionsSigned": args.signed != "response",
            "wantMessagesSigned": args.signed != "assertion",
            "rejectDeprecatedAlgorithm": True,
            # Our responses carry no AttributeStatement when there are no attributes (SAML Core §2.7.3).
            "wantAttributeStatement": False,
        },
    }, sp_validation_only=True)

    acs = urlsplit(args.acs)
    request_data = {
        "https": "on" if acs.scheme == "https" else "off",
        "http_host": acs.hostname,
        "server_port": acs.port or (443 if acs.scheme == "https" else 80),
        "script_name": acs.path,
        "get_data": {},
        "post_data": {},
    }

    for path in args.responses:
        try:
            xml = open(path, "rb").read()
            resp = OneLogin_Saml2_Response(settings, base64.b64encode(xml).decode("ascii"))
            if not resp.is_valid(request_data, args.request_id, raise_exceptions=True):
                raise Exception(resp.get_error())
            out = {
                "ok": True,
                "nameId": resp.get_nameid(),
                "nameIdFormat": resp.get_nameid_format(),
                "issuer": resp.get_issuers()[0],
                "attributes": resp.get_attributes(),
            }
        except Exception as err:  # report, never crash: the test asserts on it
            out = {"ok": False, "error": "%s: %s" % (type(err).__name__, err)}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
