#!/usr/bin/python3
"""An independent WS-Federation reader (lxml, libxml2): no code shared with factorgate.

usage: wsfed-reader.py response FILE   -> JSON: RSTR structure and SAML 1.1 claims, schema verdicts
       wsfed-reader.py metadata FILE   -> JSON: endpoints and certificates, schema verdict

Schemas (test/fixtures/ws-fed/schemas, see README.md there) are resolved locally by file name:
nothing is fetched from the network. What is validated against which published schema:
- the saml:Assertion against OASIS SAML 1.1 (cs-sstc-schema-assertion-1.1.xsd, with xmldsig);
- wsu:Created / wsu:Expires against the OASIS WSS utility schema, wsa:EndpointReference against
  the W3C WS-Addressing 1.0 schema;
- the RSTR's own content model (WS-Trust February 2005: an open `any`) is checked here by hand:
  its children, their order, namespaces and values as WS-Federation 1.2 section 13 uses them;
- metadata: md:EntityDescriptor against SAML 2.0 metadata plus WS-Federation 1.2
  (ws-federation.xsd and its imports), so the fed:SecurityTokenServiceType role is validated too.
"""
import json
import os
import sys

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, '..', '..', 'fixtures', 'ws-fed', 'schemas')

NS = {
    't': 'http://schemas.xmlsoap.org/ws/2005/02/trust',
    'wsu': 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
    'wsp': 'http://schemas.xmlsoap.org/ws/2004/09/policy',
    'wsa': 'http://www.w3.org/2005/08/addressing',
    'saml': 'urn:oasis:names:tc:SAML:1.0:assertion',
    'ds': 'http://www.w3.org/2000/09/xmldsig#',
    'md': 'urn:oasis:names:tc:SAML:2.0:metadata',
    'fed': 'http://docs.oasis-open.org/wsfed/federation/200706',
    'xsi': 'http://www.w3.org/2001/XMLSchema-instance',
}


class LocalSchemas(etree.Resolver):
    """Every schemaLocation (relative or a W3C/OASIS URL) resolves to the fixture of that file name."""

    def resolve(self, url, pubid, context):
        path = os.path.join(SCHEMAS, os.path.basename(url))
        if os.path.exists(path):
            return self.resolve_filename(path, context)
        raise ValueError('schema not in the fixtures: ' + url)


def schema(name):
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(os.path.join(SCHEMAS, name), parser))


def validate(xsd, element):
    doc = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    ok = xsd.validate(doc)
    return {'valid': ok, 'errors': [str(e) for e in xsd.error_log][:5]}


def parse(path):
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)
    return etree.parse(path, parser).getroot()


def q(prefix, local):
    return '{%s}%s' % (NS[prefix], local)


def response(path):
    root = parse(path)
    problems = []
    if root.tag != q('t', 'RequestSecurityTokenResponse'):
        problems.append('root is %s' % root.tag)
    kids = [c.tag for c in root if isinstance(c.tag, str)]
    expected = [q('t', 'Lifetime'), q('wsp', 'AppliesTo'), q('t', 'RequestedSecurityToken'), q('t', 'TokenType'), q('t', 'RequestType'), q('t', 'KeyType')]
    if kids != expected:
        problems.append('RSTR children %s' % [k.split('}')[1] for k in kids])
    lifetime = root.find('t:Lifetime', NS)
    created = lifetime.find('wsu:Created', NS)
    expires = lifetime.find('wsu:Expires', NS)
    utility = schema('oasis-200401-wss-wssecurity-utility-1.0.xsd')
    addressing = schema('ws-addr.xsd')
    epr = root.find('wsp:AppliesTo/wsa:EndpointReference', NS)
    tokens = root.findall('t:RequestedSecurityToken/*', NS)
    if len(tokens) != 1:
        problems.append('%d tokens' % len(tokens))
    assertion = tokens[0]
    if assertion.tag != q('saml', 'Assertion'):
        problems.append('token is %s' % assertion.tag)
    saml11 = schema('cs-sstc-schema-assertion-1.1.xsd')
    authn = assertion.find('saml:AuthenticationStatement', NS)
    name_id = authn.find('saml:Subject/saml:NameIdentifier', NS)
    attributes = []
    for stmt in assertion.findall('saml:AttributeStatement', NS):
        stmt_name_id = stmt.find('saml:Subject/saml:NameIdentifier', NS)
        if stmt_name_id is None or stmt_name_id.text != name_id.text:
            problems.append('the AttributeStatement subject differs')
        for a in stmt.findall('saml:Attribute', NS):
            attributes.append({'name': a.get('AttributeName'), 'namespace': a.get('AttributeNamespace'), 'values': [v.text or '' for v in a.findall('saml:AttributeValue', NS)]})
    conditions = assertion.find('saml:Conditions', NS)
    signature = assertion.findall('ds:Signature', NS)
    last = [c for c in assertion if isinstance(c.tag, str)][-1]
    if len(signature) != 1 or last is not signature[0]:
        problems.append('the assertion signature is not its one last child')
    return {
        'problems': problems,
        'schemas': {
            'assertion': validate(saml11, assertion),
            'created': validate(utility, created),
            'expires': validate(utility, expires),
            'appliesTo': validate(addressing, epr),
        },
        'lifetime': {'created': created.text, 'expires': expires.text},
        'appliesTo': epr.findtext('wsa:Address', namespaces=NS),
        'tokenType': root.findtext('t:TokenType', namespaces=NS),
        'requestType': root.findtext('t:RequestType', namespaces=NS),
        'keyType': root.findtext('t:KeyType', namespaces=NS),
        'assertion': {
            'id': assertion.get('AssertionID'),
            'issuer': assertion.get('Issuer'),
            'majorVersion': assertion.get('MajorVersion'),
            'minorVersion': assertion.get('MinorVersion'),
            'issueInstant': assertion.get('IssueInstant'),
            'notBefore': conditions.get('NotBefore'),
            'notOnOrAfter': conditions.get('NotOnOrAfter'),
            'audiences': [a.text for a in conditions.findall('saml:AudienceRestrictionCondition/saml:Audience', NS)],
            'nameIdentifier': name_id.text,
            'nameIdentifierFormat': name_id.get('Format'),
            'confirmationMethod': authn.findtext('saml:Subject/saml:SubjectConfirmation/saml:ConfirmationMethod', namespaces=NS),
            'authenticationMethod': authn.get('AuthenticationMethod'),
            'authenticationInstant': authn.get('AuthenticationInstant'),
            'attributes': attributes,
        },
    }


def metadata(path):
    root = parse(path)
    wsfed = schema('ws-federation.xsd')
    role = root.find('md:RoleDescriptor', NS)
    return {
        'schemas': {'wsFederation': validate(wsfed, root)},
        'entityId': root.get('entityID'),
        'roleType': role.get(q('xsi', 'type')),
        'passiveEndpoints': [a.text for a in role.findall('fed:PassiveRequestorEndpoint/wsa:EndpointReference/wsa:Address', NS)],
        'certificates': [c.text for c in role.findall('md:KeyDescriptor[@use="signing"]/ds:KeyInfo/ds:X509Data/ds:X509Certificate', NS)],
        'tokenTypes': [t.get('Uri') for t in role.findall('fed:TokenTypesOffered/fed:TokenType', NS)],
        'signedFirst': [c for c in root if isinstance(c.tag, str)][0].tag == q('ds', 'Signature'),
    }


if __name__ == '__main__':
    mode, path = sys.argv[1], sys.argv[2]
    print(json.dumps(response(path) if mode == 'response' else metadata(path)))
