#!/usr/bin/python3
"""pysaml2 as a real upstream SAML IdP, for the bridge's interop tests.

Usage: /usr/bin/python3 pysaml2-idp.py --key KEY.pem --cert CERT.pem --user USER.json
           --sp-entity-id ID --sp-acs URL [--sp-cert SP_CERT.pem] [--port N]
           [--entity-id ID] [--authn-context CLASS_REF] [--sign response,assertion]

A tiny WSGI server (stdlib wsgiref) on 127.0.0.1:
  GET /sso?SAMLRequest=…[&RelayState=…&SigAlg=…&Signature=…]   HTTP-Redirect binding
      → 200 HTML auto-post form carrying the signed SAMLResponse to the SP's ACS URL
  GET /metadata   → the IdP's metadata (signing certificate, SSO endpoint)
  GET /metadata-signed → the same, signed by the IdP key (RSA-SHA256, exclusive C14N)
Once listening it prints one JSON line on stdout: {"port": N, "entityId": "…", "ssoUrl": "…"}.
With --sp-cert the AuthnRequest must be signed by that key (want_authn_requests_signed).
The signed-in user is fixed: USER.json is {"nameId": {"value": …, "format": …},
"attributes": {"uid": ["…"], …}}, attribute names sent as spelled there.
Responses and assertions are signed with RSA-SHA256 / SHA-256 by /usr/bin/xmlsec1.
Must run with Debian's /usr/bin/python3 (python3-pysaml2).
"""
import argparse
import base64
import json
import os
import shutil
import signal
import sys
import tempfile
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.sax.saxutils import quoteattr

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string, entity_descriptor, sign_entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NameID
from saml2.server import Server
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256


def pem_body(path):
    lines = open(path).read().strip().splitlines()
    return "".join(l for l in lines if not l.startswith("-----"))


def sp_metadata(entity_id, acs, cert_path):
    """The bridge's SP metadata as the IdP would import it (SAML Metadata §2.4.4)."""
    key = ""
    if cert_path:
        key = (
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>" % pem_body(cert_path)
        )
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=%s>'
        '<md:SPSSODescriptor AuthnRequestsSigned="%s" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s'
        '<md:AssertionConsumerService Binding="%s" Location=%s index="0" isDefault="true"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
        % (quoteattr(entity_id), "true" if cert_path else "false", key, BINDING_HTTP_POST, quoteattr(acs))
    )


def write_identity_map(map_dir, names):
    """A pysaml2 attribute map (saml2/attributemaps format) that keeps every name as it is."""
    same = {name: name for name in names}
    with open(os.path.join(map_dir, "identity.py"), "w") as f:
        f.write("MAP = %r\n" % {"identifier": NAME_FORMAT_BASIC, "fro": same, "to": same})


def build_server(args, base_url, map_dir):
    sign = set(args.sign.split(",")) if args.sign else set()
    config = IdPConfig()
    config.load({
        "entityid": args.entity_id or base_url + "/metadata",
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": args.key,
        "cert_file": args.cert,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "metadata": {"inline": [sp_metadata(args.sp_entity_id, args.sp_acs, args.sp_cert)]},
        # An identity map: names go out as USER.json spells them (pysaml2's own maps would
        # rename uid to urn:mace:dir:attribute-def:uid and so on); renaming is the bridge's job.
        "attribute_map_dir": map_dir,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(base_url + "/sso", BINDING_HTTP_REDIRECT)]},
            # The XML of a Redirect-bound request carries no signature (SAML Bindings
            # §3.4.4.1: it is on the query string), so pysaml2's XML check stays off and
            # sso() verifies the query signature itself.
            "want_authn_requests_signed": False,
            "sign_response": "response" in sign,
            "sign_assertion": "assertion" in sign,
            "policy": {"default": {
                "lifetime": {"minutes": 5},
                "attribute_restrictions": None,
                "name_form": NAME_FORMAT_BASIC,
                "sign": list(sign),
            }},
        }},
    })
    return Server(config=config)


def auto_post_form(action, saml_response, relay_state):
    """SAML Bindings §3.5.4: an HTML form the browser posts to the ACS URL."""
    relay = ""
    if relay_state is not None:
        relay = '<input type="hidden" name="RelayState" value=%s/>' % quoteattr(relay_state)
    return (
        "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\">"
        '<form method="post" action=%s><input type="hidden" name="SAMLResponse" value=%s/>%s'
        '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
        % (quoteattr(action), quoteattr(saml_response), relay)
    )


def make_app(idp, args, user):
    sign = set(args.sign.split(",")) if args.sign else set()

    def sso(query):
        saml_request = query.get("SAMLRequest", [None])[0]
        if saml_request is None:
            return "400 Bad Request", "text/plain", "SAMLRequest missing"
        req = idp.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        if args.sp_cert:
            # SAML Bindings §3.4.4.1: the signature covers SAMLRequest, RelayState and SigAlg
            # as they appear in the query; the key is the one in the SP's metadata.
            message = {k: v[0] for k, v in query.items()}
            if "Signature" not in message or "SigAlg" not in message:
                return "400 Bad Request", "text/plain", "SignatureMissing: the AuthnRequest is not signed"
            if message["SigAlg"] != SIG_RSA_SHA256:
                return "400 Bad Request", "text/plain", "SignatureAlgorithm: %s" % message["SigAlg"]
            certs = idp.metadata.certs(req.message.issuer.text, "any", "signing")
            if not any(verify_redirect_signature(message, idp.sec.sec_backend, cert) for cert in certs):
                return "400 Bad Request", "text/plain", "SignatureInvalid: the AuthnRequest signature does not verify"
        resp_args = idp.response_args(req.message, [BINDING_HTTP_POST])
        name_id = NameID(format=user["nameId"]["format"], text=user["nameId"]["value"])
        response = idp.create_authn_response(
            {k: list(v) for k, v in user["attributes"].items()},
            userid=user["nameId"]["value"],
            name_id=name_id,
            authn={"class_ref": args.authn_context, "authn_auth": idp.config.entityid},
            sign_response="response" in sign,
            sign_assertion="assertion" in sign,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **resp_args,
        )
        encoded = base64.b64encode(str(response).encode("utf-8")).decode("ascii")
        html = auto_post_form(resp_args["destination"], encoded, query.get("RelayState", [None])[0])
        return "200 OK", "text/html; charset=utf-8", html

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            if environ["REQUEST_METHOD"] == "GET" and path == "/sso":
                status, ctype, body = sso(query)
            elif environ["REQUEST_METHOD"] == "GET" and path == "/metadata-signed":
                # SAML Metadata §3: the same EntityDescriptor, signed by the IdP's own key.
                _, signed = sign_entity_descriptor(
                    entity_descriptor(idp.config), None, idp.sec, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
                )
                status, ctype, body = "200 OK", "application/samlmetadata+xml", str(signed)
            elif environ["REQUEST_METHOD"] == "GET" and path == "/metadata":
                status, ctype, body = "200 OK", "application/samlmetadata+xml", create_metadata_string(
                    None, config=idp.config, valid=1, sign=False
                ).decode("utf-8")
            else:
                status, ctype, body = "404 Not Found", "text/plain", "not found"
        except Exception as err:  # the test reads the reason from the body
            status, ctype, body = "400 Bad Request", "text/plain", "%s: %s" % (type(err).__name__, err)
        data = body.encode("utf-8")
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data)))])
        return [data]

    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--entity-id")
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--sp-entity-id", required=True)
    ap.add_argument("--sp-acs", required=True)
    ap.add_argument("--sp-cert")
    ap.add_argument("--authn-context", default="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    ap.add_argument("--sign", default="response,assertion")
    args = ap.parse_args()
    # SIGTERM (how the test stops us) ends serve_forever through KeyboardInterrupt, so the
    # finally below still runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    user = json.load(open(args.user))

    # Bind first (port 0: the OS picks a free one), then build the IdP around the real URL.
    server = make_server("127.0.0.1", args.port, lambda e, s: [], server_class=WSGIServer, handler_class=QuietHandler)
    port = server.server_address[1]
    base_url = "http://127.0.0.1:%d" % port
    map_dir = tempfile.mkdtemp(prefix="pysaml2-idp-maps-")
    try:
        write_identity_map(map_dir, user["attributes"].keys())
        idp = build_server(args, base_url, map_dir)
    except BaseException:
        shutil.rmtree(map_dir, ignore_errors=True)
        raise
    server.set_app(make_app(idp, args, user))
    print(json.dumps({"port": port, "entityId": idp.config.entityid, "ssoUrl": base_url + "/sso"}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(map_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
