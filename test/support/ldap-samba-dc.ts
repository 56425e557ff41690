/**
 * A throwaway Samba 4 Active Directory domain controller: a real AD (objectGUID, sAMAccountName,
 * userPrincipalName, userAccountControl, the nested-group matching rule, AD bind diagnostics,
 * StartTLS and LDAPS with its own CA). Provisioned into a temp folder ignoring /etc, users made
 * offline through Samba's own Python bindings (one transaction, fast), then `samba -M single`
 * with only the LDAP service. AD's LDAP ports are fixed (389/636) on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';

export const SAMBA_TOOLS = ['/usr/sbin/samba', '/usr/bin/samba-tool'];

export interface SambaUser {
  sam: string;
  password: string;
  givenName: string;
  surname: string;
  mail?: string;
  phone?: string;
  /** Direct group memberships ('MFA-Users', 'MFA-Nested' which is itself in MFA-Users). */
  groups: string[];
  disabled?: boolean;
}

export interface SambaDc {
  dir: string;
  url: string;
  ldapsUrl: string;
  baseDn: string;
  bindDn: string;
  bindPassword: string;
  caFile: string;
  /** Name in the DC's certificate (it does not name 127.0.0.1). */
  tlsServerName: string;
  mfaGroupDn: string;
  /** sAMAccountName → objectGUID as Samba itself prints it. */
  guids: Record<string, string>;
  stop(): Promise<void>;
}

const ADMIN_PASSWORD = 'Adm1n-Passw0rd!';

const PY_SETUP = String.raw`
import json, sys
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
from samba.ndr import ndr_unpack
from samba.dcerpc import misc
import ldb

conf, spec = sys.argv[1], json.load(open(sys.argv[2]))
lp = LoadParm(); lp.load(conf)
db = SamDB(url=lp.private_path('sam.ldb'), session_info=system_session(), lp=lp)
base = str(db.domain_dn())
db.transaction_start()
try:
    db.create_ou('OU=Staff,' + base)
    db.create_ou('OU=Nested,OU=Staff,' + base)
    db.newgroup('MFA-Users')
    db.newgroup('MFA-Nested')
    db.add_remove_group_members('MFA-Users', ['MFA-Nested'], add_members_operation=True)
    for i, u in enumerate(spec):
        ou = 'OU=Nested,OU=Staff' if i % 2 else 'OU=Staff'
        db.newuser(u['sam'], u['password'], userou=ou, givenname=u['givenName'], surname=u['surname'],
                   mailaddress=u.get('mail'), telephonenumber=u.get('phone'))
        for g in u['groups']:
            db.add_remove_group_members(g, [u['sam']], add_members_operation=True)
        if u.get('disabled'):
            db.disable_account('(sAMAccountName=%s)' % ldb.binary_encode(u['sam']))
    db.transaction_commit()
except Exception:
    db.transaction_cancel()
    raise
guids = {}
for u in spec:
    res = db.search(base=base, expression='(sAMAccountName=%s)' % ldb.binary_encode(u['sam']), attrs=['objectGUID'])
    guids[u['sam']] = str(ndr_unpack(misc.GUID, res[0]['objectGUID'][0]))
print(json.dumps({'base': base, 'guids': guids}))
`;

async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

export async function startSambaDc(users: SambaUser[]): Promise<SambaDc> {
  if (!(await portFree('127.0.0.1', 389))) throw new Error('port 389 on 127.0.0.1 is taken: another directory is running there');
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-samba-'));
  execFileSync(
    '/usr/bin/samba-tool',
    [
      'domain', 'provision', '-s', '/dev/null', `--targetdir=${dir}`, '--realm=CORP.EXAMPLE', '--domain=CORP',
      '--host-name=dc1', '--server-role=dc', '--dns-backend=NONE', '--use-rfc2307', `--adminpass=${ADMIN_PASSWORD}`,
      '--option=interfaces=127.0.0.1', '--option=bind interfaces only=yes',
    ],
    { stdio: 'pipe' },
  );
  const conf = join(dir, 'etc', 'smb.conf');
  mkdirSync(join(dir, 'run'), { recursive: true });
  const extra = [
    'server services = ldap',
    // Plain-LDAP simple binds are refused otherwise ("Transport encryption required").
    'ldap server require strong auth = no',
    `pid directory = ${join(dir, 'run')}`,
    `log file = ${join(dir, 'log.%m')}`,
    'log level = 0',
  ];
  writeFileSync(
    conf,
    readFileSync(conf, 'utf8')
      .replace(/^\s*server services = .*$/m, '')
      .replace('[global]', `[global]\n\t${extra.join('\n\t')}`),
  );
  writeFileSync(join(dir, 'users.json'), JSON.stringify(users));
  writeFileSync(join(dir, 'setup.py'), PY_SETUP);
  const out = JSON.parse(execFileSync('/usr/bin/python3', [join(dir, 'setup.py'), conf, join(dir, 'users.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as {
    base: string;
    guids: Record<string, string>;
  };

  let stderr = '';
  const child: ChildProcess = spawn('/usr/sbin/samba', ['-s', conf, '--foreground', '--no-process-group', '-M', 'single'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);

  const url = 'ldap://127.0.0.1:389';
  const bindDn = `Administrator@corp.example`;
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`samba exited (${child.exitCode}): ${stderr}`);
    const c = new Client({ url, connectTimeout: 500, timeout: 2000 });
    try {
      await c.bind(bindDn, ADMIN_PASSWORD);
      await c.unbind();
      break;
    } catch (err) {
      await c.unbind().catch(() => undefined);
      if (Date.now() > until) {
        kill();
        throw new Error(`samba did not answer: ${String(err)} ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    dir,
    url,
    ldapsUrl: 'ldaps://127.0.0.1:636',
    baseDn: out.base,
    bindDn,
    bindPassword: ADMIN_PASSWORD,
    caFile: join(dir, 'private', 'tls', 'ca.pem'),
    tlsServerName: 'DC1.corp.example',
    mfaGroupDn: `CN=MFA-Users,CN=Users,${out.base}`,
    guids: out.guids,
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
