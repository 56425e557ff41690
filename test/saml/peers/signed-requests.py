#!/usr/bin/python3
"""Signed SAML requests as pysaml2 and OneLogin python3-saml build them, for the IdP's interop test.

Usage: /usr/bin/python3 signed-requests.py --sp-entity-id ID --acs URL --slo URL
           --sp-key KEY.pem --sp-cert CERT.pem --idp-entity-id ID --sso URL --idp-slo URL
Prints one JSON object with, for each library, the AuthnRequest over HTTP-Redirect (the
query string the library signs, Bindings §3.4.4.1), the AuthnRequest with an enveloped XML
signature (HTTP-POST, base64), and a LogoutRequest over HTTP-Redirect, all RSA-SHA256 with
the library's own defaults otherwise. Must run with Debian's /usr/bin/python3.
"""
import argparse
import base64
import json
from urllib.parse import urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NameID, NAMEID_FORMAT_UNSPECIFIED
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from xml.sax.saxutils import quoteattr

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils


def pem_body(path):
    return "".join(l for l in open(path).read().strip().splitlines() if not l.startswith("-----"))


def idp_metadata(args):
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID=%s>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:SingleLogoutService Binding="%s" Location=%s/>'
        '<md:SingleSignOnService Binding="%s" Location=%s/>'
        '<md:SingleSignOnService Binding="%s" Location=%s/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>'
        % (quoteattr(args.idp_entity_id), BINDING_HTTP_REDIRECT, quoteattr(args.idp_slo), BINDING_HTTP_REDIRECT, quoteattr(args.sso), BINDING_HTTP_POST, quoteattr(args.sso))
    )


def query_of(url):
    return urlparse(url).query


def pysaml2_requests(args):
    config = SPConfig()
    config.load({
        "entityid": args.sp_entity_id,
        "key_file": args.sp_key,
        "cert_file": args.sp_cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"inline": [idp_metadata(args)]},
        "service": {"sp": {
            "endpoints": {
                "assertion_consumer_service": [(args.acs, BINDING_HTTP_POST)],
                "single_logout_service": [(args.slo, BINDING_HTTP_REDIRECT)],
            },
            "authn_requests_signed": True,
            "logout_requests_signed": True,
        }},
    })
    client = Saml2Client(config)
    _, info = client.prepare_for_authenticate(entityid=args.idp_entity_id, relay_state="py-redirect", binding=BINDING_HTTP_REDIRECT, sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    redirect = query_of(dict(info["headers"])["Location"])
    _, signed_xml = client.create_authn_request(args.sso, sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    _, logout = client.create_logout_request(args.idp_slo, args.idp_entity_id, name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text="alice"), sign=False)
    logout_info = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout), args.idp_slo, "py-logout", sign=True, sigalg=SIG_RSA_SHA256)
    return {
        "authnRedirect": redirect,
        "authnPost": base64.b64encode(str(signed_xml).encode("utf-8")).decode("ascii"),
        "logoutRedirect": query_of(dict(logout_info["headers"])["Location"]),
    }


def onelogin_requests(args):
    sso = urlparse(args.sso)
    request_data = {"https": "on" if sso.scheme == "https" else "off", "http_host": sso.netloc, "script_name": sso.path, "get_data": {}, "post_data": {}}
    settings = {
        "strict": True,
        "sp": {
            "entityId": args.sp_entity_id,
            "assertionConsumerService": {"url": args.acs, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST},
            "singleLogoutService": {"url": args.slo, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT},
            "x509cert": pem_body(args.sp_cert),
            "privateKey": open(args.sp_key).read(),
        },
        "idp": {
            "entityId": args.idp_entity_id,
            "singleSignOnService": {"url": args.sso, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT},
            "singleLogoutService": {"url": args.idp_slo, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT},
            "x509cert": pem_body(args.sp_cert),
        },
        "security": {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
        },
    }
    auth = OneLogin_Saml2_Auth(request_data, settings)
    redirect = query_of(auth.login(return_to="ol-redirect"))
    logout = query_of(auth.logout(return_to="ol-logout", name_id="alice"))
    one = OneLogin_Saml2_Settings(settings)
    xml = OneLogin_Saml2_Authn_Request(one).get_xml()
    signed = OneLogin_Saml2_Utils.add_sign(xml, one.get_sp_key(), one.get_sp_cert(), sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256, digest_algorithm=OneLogin_Saml2_Constants.SHA256)
    if isinstance(signed, bytes):
        signed = signed.decode("utf-8")
    return {"authnRedirect": redirect, "authnPost": base64.b64encode(signed.encode("utf-8")).decode("ascii"), "logoutRedirect": logout}


def main():
    ap = argparse.ArgumentParser()
    for name in ["--sp-entity-id", "--acs", "--slo", "--sp-key", "--sp-cert", "--idp-entity-id", "--sso", "--idp-slo"]:
        ap.add_argument(name, required=True)
    args = ap.parse_args()
    print(json.dumps({"pysaml2": pysaml2_requests(args), "onelogin": onelogin_requests(args)}))


if __name__ == "__main__":
    main()
