/**
 * A local certificate authority for federated stacks (@peculiar/x509 over Node's WebCrypto):
 * a fresh CA and one `localhost` / `127.0.0.1` server certificate it signs, made at every
 * start. Both Synapses present the certificate on their federation listeners and trust only
 * this CA; the auth services trust it for the OpenID check over federation. The CA's
 * private key is never written anywhere.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect API
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

// Node's WebCrypto, typed as the library's (DOM) Crypto, which this tsconfig does not know.
const crypto = webcrypto as unknown as NonNullable<
  Parameters<typeof x509.X509CertificateGenerator.create>[1]
>;
x509.cryptoProvider.set(crypto);

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

function pemKey(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Writes `ca` (CA certificate), `cert` (server certificate + CA) and `key` (server key). */
export async function generateLocalTls(files: TlsFiles): Promise<void> {
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - DAY_MS); // tolerate clock skew between processes
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const caKeys = await subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=matrix-call local stack CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  await mkdir(dirname(files.ca), { recursive: true });
  await writeFile(files.ca, ca.toString('pem') + '\n');
  await writeFile(files.cert, `${server.toString('pem')}\n${ca.toString('pem')}\n`);
  const key = await subtle.exportKey('pkcs8', serverKeys.privateKey);
  await writeFile(files.key, `${pemKey(key)}\n`, { mode: 0o600 });
}
