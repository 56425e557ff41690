/**
 * The DOM types of the one XML parser the project uses (@xmldom/xmldom 0.8, also the one
 * xml-crypto and node-saml run on, so every reader and the signature verifier see the same
 * tree). xmldom 0.8 types its nodes with the standard DOM interfaces; they are named here so
 * callers import them from one place rather than from the global scope.
 */
/// <reference lib="dom" />

export type XmlDocument = globalThis.Document;
export type XmlElement = globalThis.Element;
export type XmlNode = globalThis.Node;
