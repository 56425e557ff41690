#!/usr/bin/python3
"""pysaml2 as a SAML SP, for interop tests of our emitted Responses.

Usage: /usr/bin/python3 pysaml2-sp.py --cert IDP_CERT.pem --idp-entity-id ID --audience SP_ENTITY_ID
           --acs ACS_URL [--request-id ID] [--signed assertion|response|both]
           [--sp-key SP_KEY.pem --sp-cert SP_CERT.pem] RESPONSE.xml...
Prints one JSON object per response file:
  {"ok": true, "nameId": ..., "nameIdFormat": ..., "attributes": {name: [values]}}
  {"ok": false, "error": "..."}
The IdP certificate is pinned through inline metadata; signatures are checked with
/usr/bin/xmlsec1. Must run with Debian's /usr/bin/python3 (python3-pysaml2).
"""
import argparse
import base64
import json
import sys
from xml.sax.saxutils import quoteattr

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig


def idp_metadata(entity_id, cert_b64):
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=%s>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
        '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.invalid/sso"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>' % (quoteattr(entity_id), cert_b64)
    )


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
    ap.add_argument("--sp-key", help="SP key for EncryptedAssertion")
    ap.add_argument("--sp-cert")
    ap.add_argument("responses", nargs="+")
    args = ap.parse_args()

    decryption = {}
    if args.sp_key:
        decryption = {
            "key_file": args.sp_key,
            "cert_file": args.sp_cert,
            "encryption_keypairs": [{"key_file": args.sp_key, "cert_file": args.sp_cert}],
        }
    config = SPConfig()
    config.load({
        **decryption,
        "entityid": args.audience,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(args.acs, BINDING_HTTP_POST)]},
            "allow_unsolicited": args.request_id is None,
            "want_assertions_signed": args.signed != "response",
            "want_response_signed": args.signed != "assertion",
            "authn_requests_signed": False,
        }},
        "metadata": {"inline": [idp_metadata(args.idp_entity_id, pem_body(args.cert))]},
    })
    client = Saml2Client(config=config)
    outstanding = {args.request_id: "/"} if args.request_id else None

    for path in args.responses:
        try:
            xml = open(path, "rb").read()
            resp = client.parse_authn_request_response(
                base64.b64encode(xml).decode("ascii"), BINDING_HTTP_POST, outstanding=outstanding)
            if resp is None or resp.assertion is None:
                raise Exception("response rejected (see log above)")
            attributes = {}
            for statement in resp.assertion.attribute_statement:
                for attribute in statement.attribute:
                    attributes[attribute.name] = [v.text or "" for v in attribute.attribute_value]
            out = {
                "ok": True,
                "nameId": resp.name_id.text,
                "nameIdFormat": resp.name_id.format,
                "issuer": resp.issuer(),
                "attributes": attributes,
            }
        except Exception as err:  # report, never crash: the test asserts on it
            out = {"ok": False, "error": "%s: %s" % (type(err).__name__, err)}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
