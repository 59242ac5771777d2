/**
 * Certificates for the TLS tests, made by openssl now: a CA, a leader
 * certificate for 127.0.0.1 signed by it, and follower (client)
 * certificates: a good one, one signed by another CA, and an expired one.
 * Or `{ skip }` saying why, where openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TlsFiles {
  readonly dir: string;
  readonly ca: string;
  readonly leaderCert: string;
  readonly leaderKey: string;
  /** Signed by `ca`, valid now. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Signed by another CA. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** Signed by `ca`, expired (its notAfter is before its notBefore, both about now). */
  readonly expiredCert: string;
  readonly expiredKey: string;
}

export function tlsFiles(): TlsFiles | { skip: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidaldb-mtls-'));
  const p = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => openssl('req', '-x509', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '2', '-subj', `/CN=${name}`);
  const signed = (name: string, by: string, days: string, ext: string) => {
    openssl('req', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`);
    fs.writeFileSync(p(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${by}.pem`), '-CAkey', p(`${by}.key`), '-CAcreateserial',
      '-out', p(`${name}.pem`), '-days', days, '-extfile', p(`${name}.ext`));
  };
  try {
    ca('ca');
    ca('other-ca');
    signed('leader', 'ca', '2', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    signed('client', 'ca', '2', 'extendedKeyUsage=clientAuth\n');
    signed('stranger', 'other-ca', '2', 'extendedKeyUsage=clientAuth\n');
    signed('expired', 'ca', '-1', 'extendedKeyUsage=clientAuth\n');
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { skip: `openssl could not make the test certificates here (${(err as Error).message.split('\n')[0]})` };
  }
  return {
    dir, ca: p('ca.pem'), leaderCert: p('leader.pem'), leaderKey: p('leader.key'),
    clientCert: p('client.pem'), clientKey: p('client.key'), strangerCert: p('stranger.pem'), strangerKey: p('stranger.key'),
    expiredCert: p('expired.pem'), expiredKey: p('expired.key'),
  };
}
