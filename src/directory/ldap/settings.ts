/**
 * The LDAP directory's config with its preset applied: what `LdapDirectory` runs on. Apart from
 * the schema (config.ts), so that the listing's worker thread (list-worker.ts), which gets these
 * settings already resolved, does not load zod and the schema: about 55-75 ms of a cold start,
 * paid by every import before its first page.
 */
import type { LdapDirectoryConfig } from './config.js';
import { PRESETS, type AttributeMap, type LdapPreset } from './presets.js';

/** The config with the preset applied: what `LdapDirectory` runs on. */
export interface ResolvedLdapSettings {
  urls: string[];
  bindDn: string | undefined;
  bindPassword: string | undefined;
  baseDns: string[];
  preset: LdapPreset;
  userFilter: string;
  groupFilter: string | undefined;
  loginAttributes: string[];
  attributes: AttributeMap;
  extraAttributes: string[];
  tls: LdapDirectoryConfig['tls'];
  timeouts: LdapDirectoryConfig['timeouts'];
  pageSize: number;
  maxListEntries: number;
}

export function resolveLdapSettings(config: LdapDirectoryConfig): ResolvedLdapSettings {
  const preset = PRESETS[config.preset];
  const attributes: AttributeMap = { ...preset.attributes };
  for (const [k, v] of Object.entries(config.attributes) as [keyof AttributeMap, string | undefined][]) {
    if (v !== undefined) attributes[k] = v;
  }
  return {
    urls: [...config.urls],
    bindDn: config.bindDn,
    bindPassword: config.bindPassword,
    baseDns: [...config.baseDns],
    preset: config.preset,
    userFilter: config.userFilter ?? preset.userFilter,
    groupFilter: config.groupFilter,
    loginAttributes: config.loginAttributes ?? preset.loginAttributes,
    attributes,
    extraAttributes: [...config.extraAttributes],
    tls: config.tls,
    timeouts: config.timeouts,
    pageSize: config.pageSize,
    maxListEntries: config.maxListEntries,
  };
}
