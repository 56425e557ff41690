/**
 * A throwaway OpenLDAP slapd for the directory suites: its own cn=config in a temp folder, the
 * mdb backend (a module on Debian), an AD-like schema extension (sAMAccountName,
 * userPrincipalName, binary objectGUID, userAccountControl) and the memberof overlay, data
 * loaded with `slapadd` before start, listening on a free loopback port. Services never
 * auto-start on these machines: this file starts and stops slapd itself.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { buildFixture, guidFor, type Fixture } from './ldap-fixture.js';
import { freePort } from './free-port.js';

export interface SlapdOptions {
  suffix?: string;
  /** Users in the generated AD-like tree (0: only OUs, groups and the service account). */
  users?: number;
  /** Reuse a port (a second server that must take over a known address). */
  port?: number;
  /** Page size limit for non-root searches, like AD's MaxPageSize. */
  maxPageSize?: number;
  /** Entries one paged search may return in all (slapd's size.prtotal), else unlimited. */
  maxPagedTotal?: number;
}

export interface Slapd {
  readonly url: string;
  readonly port: number;
  readonly suffix: string;
  readonly dir: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  /** The service account factorgate searches with. */
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly fixture: Fixture;
  /** Stops the server (SIGKILL by default: a crash, and instant). Data stays. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
  readonly running: boolean;
  /** Process id of the running slapd (for SIGSTOP/SIGCONT). */
  readonly pid: number | undefined;
  /** Runs `fn` with a client bound as the root DN. */
  admin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  addUser(user: { uid: string; password: string; cn?: string; mail?: string; inMfaGroup?: boolean; userAccountControl?: number; ou?: string }): Promise<string>;
  removeFromGroup(userDn: string, groupDn?: string): Promise<void>;
  addToGroup(userDn: string, groupDn?: string): Promise<void>;
  deleteEntry(dn: string): Promise<void>;
  setAttribute(dn: string, attr: string, values: string[]): Promise<void>;
}

const ROOT_PASSWORD = 'Root-Passw0rd!';

export { freePort };

const AD_LIKE_SCHEMA = `dn: cn=adlike,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adlike
olcAttributeTypes: ( 1.3.6.1.4.1.55555.1.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.55555.1.2 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.55555.1.3 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.55555.1.4 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.55555.2.1 NAME 'adLikeUser' SUP top AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ objectGUID $ userAccountControl ) )

`;

function configLdif(dir: string, suffix: string, rootDn: string, serviceDn: string, maxPageSize: number, maxPagedTotal: number | 'unlimited'): string {
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis']
    .map((s) => readFileSync(`/etc/ldap/schema/${s}.ldif`, 'utf8'))
    .join('\n');
  const rootHash = execFileSync('/usr/sbin/slappasswd', ['-s', ROOT_PASSWORD], { encoding: 'utf8' }).trim();
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas}
${AD_LIKE_SCHEMA}dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: to dn.base="" by * read
olcAccess: to dn.base="cn=Subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${suffix}
olcRootDN: ${rootDn}
olcRootPW: ${rootHash}
olcDbDirectory: ${dir}/data
olcDbMaxSize: 2147483648
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,mail,sAMAccountName,userPrincipalName eq
olcDbIndex: entryUUID eq
olcDbIndex: member,memberOf eq
olcSizeLimit: size.soft=${maxPageSize} size.hard=${maxPageSize} size.pr=${maxPageSize} size.prtotal=${maxPagedTotal}
olcAccess: to attrs=userPassword by self write by anonymous auth by * none
olcAccess: to * by dn.exact="${serviceDn}" read by self read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf
`;
}

async function waitUntilAnswering(url: string, child: ChildProcess, stderr: () => string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${stderr()}`);
    const client = new Client({ url, connectTimeout: 500, timeout: 2000 });
    try {
      await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
      await client.unbind();
      return;
    } catch {
      await client.unbind().catch(() => undefined);
      if (Date.now() > until) throw new Error(`slapd did not answer on ${url}: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const suffix = options.suffix ?? 'dc=corp,dc=example';
  const rootDn = `cn=admin,${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-slapd-'));
  mkdirSync(join(dir, 'slapd.d'));
  mkdirSync(join(dir, 'data'));
  const fixture = buildFixture({ suffix, users: options.users ?? 0 });
  writeFileSync(join(dir, 'config.ldif'), configLdif(dir, suffix, rootDn, fixture.serviceDn, options.maxPageSize ?? 1000, options.maxPagedTotal ?? 'unlimited'));
  writeFileSync(join(dir, 'data.ldif'), fixture.ldif);
  execFileSync('/usr/sbin/slapadd', ['-n', '0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')], { stdio: 'pipe' });
  // Quick mode: no consistency checks, fine for a generated file loaded into an empty database.
  execFileSync('/usr/sbin/slapadd', ['-q', '-n', '1', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'data.ldif')], { stdio: 'pipe' });
  rmSync(join(dir, 'data.ldif'));

  const port = options.port ?? (await freePort());
  const url = `ldap://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) return;
    log = '';
    // `-d 0` keeps slapd in the foreground, so it is our child and dies with a SIGKILL.
    const c = spawn('/usr/sbin/slapd', ['-F', join(dir, 'slapd.d'), '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child = c;
    running.add(c);
    c.once('exit', () => running.delete(c));
    await waitUntilAnswering(url, c, () => log);
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  }

  async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url, timeout: 30_000 });
    try {
      await client.bind(rootDn, ROOT_PASSWORD);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  await start();

  const slapd: Slapd = {
    url,
    port,
    suffix,
    dir,
    rootDn,
    rootPassword: ROOT_PASSWORD,
    bindDn: fixture.serviceDn,
    bindPassword: fixture.servicePassword,
    fixture,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    get pid() {
      return child?.pid;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    admin,
    async addUser(u) {
      const ou = u.ou ?? fixture.ous[0]!;
      const cn = u.cn ?? `New User ${u.uid}`;
      const dn = `cn=${cn.replace(/[\\"+,;<>]/g, (c) => `\\${c}`)},${ou}`;
      await admin(async (c) => {
        const attrs: Record<string, string | string[]> = {
          objectClass: ['inetOrgPerson', 'adLikeUser'],
          cn,
          sn: 'User',
          uid: u.uid,
          sAMAccountName: u.uid,
          userPrincipalName: `${u.uid}@corp.example`,
          userAccountControl: String(u.userAccountControl ?? 512),
          userPassword: u.password,
        };
        if (u.mail) attrs['mail'] = u.mail;
        await c.add(dn, attrs);
        // objectGUID is binary: sent as a Buffer value.
        const guid = guidFor(`${suffix}/${u.uid}`);
        await c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'objectGUID', values: [guid] }) }));
      });
      if (u.inMfaGroup ?? true) await slapd.addToGroup(dn);
      return dn;
    },
    async removeFromGroup(userDn, groupDn = fixture.mfaGroupDn) {
      await admin((c) => c.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [userDn] }) })));
    },
    async addToGroup(userDn, groupDn = fixture.mfaGroupDn) {
      await admin((c) => c.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [userDn] }) })));
    },
    async deleteEntry(dn) {
      await admin((c) => c.del(dn));
    },
    async setAttribute(dn, attr, values) {
      await admin((c) => c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attr, values }) })));
    },
  };
  return slapd;
}
