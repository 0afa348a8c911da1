/**
 * Certificates for TLS tests, made with node-forge at test start: a CA, a server certificate for
 * 127.0.0.1 / localhost, client certificates (clientAuth), written as PEM files for the flags.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Forge from 'node-forge';

const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;

export interface Issued { certPem: string; keyPem: string; cert: Forge.pki.Certificate; priv: Forge.pki.rsa.PrivateKey }

export function issue(cn: string, kind: 'ca' | 'server' | 'client', ca?: Issued): Issued {
  const k = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const priv = forge.pki.privateKeyFromPem(k.privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(k.publicKey);
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer(ca ? ca.cert.subject.attributes : [{ name: 'commonName', value: cn }]);
  cert.setExtensions(
    kind === 'ca'
      ? [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: kind === 'server', clientAuth: kind === 'client' },
          ...(kind === 'server' ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }] : []),
        ],
  );
  cert.sign(ca ? ca.priv : priv, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.privateKey, cert, priv };
}

/** The usual set as files: ca.pem, server.pem/.key (signed by ca), good.pem/.key (client, by ca), stranger.pem/.key (client, by another CA), other-ca.pem. */
export interface MtlsFiles {
  dir: string;
  ca: string;
  otherCa: string;
  server: string;
  serverKey: string;
  good: string;
  goodKey: string;
  stranger: string;
  strangerKey: string;
  pem: { ca: Issued; server: Issued };
}

export function makeMtlsFiles(): MtlsFiles {
  const ca = issue('tripbench test CA', 'ca');
  const other = issue('other CA', 'ca');
  const server = issue('127.0.0.1', 'server', ca);
  const good = issue('good-client', 'client', ca);
  const stranger = issue('stranger-client', 'client', other);
  const dir = mkdtempSync(join(tmpdir(), 'tb-mtls-'));
  const put = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return {
    dir,
    ca: put('ca.pem', ca.certPem),
    otherCa: put('other-ca.pem', other.certPem),
    server: put('server.pem', server.certPem),
    serverKey: put('server.key', server.keyPem),
    good: put('good.pem', good.certPem),
    goodKey: put('good.key', good.keyPem),
    stranger: put('stranger.pem', stranger.certPem),
    strangerKey: put('stranger.key', stranger.keyPem),
    pem: { ca, server },
  };
}
