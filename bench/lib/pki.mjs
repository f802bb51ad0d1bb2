/**
 * Certificates for the bench's TLS row, made with the `openssl` command line (untimed): a CA, a
 * server certificate for 127.0.0.1 and a client certificate (DCMTK's storescp asks its peer for one).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const openssl = (dir, args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** Writes ca.pem, server.pem/.key and client.pem/.key into `dir`; returns their paths. */
export function writeBenchPki(dir) {
  mkdirSync(dir, { recursive: true });
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=bench-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
  for (const name of ['server', 'client']) {
    writeFileSync(path.join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n');
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=bench-${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  }
  const p = (f) => path.join(dir, f);
  return { dir, ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientCert: p('client.pem'), clientKey: p('client.key') };
}
