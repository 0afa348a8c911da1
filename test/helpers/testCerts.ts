/**
 * Test certificates made with node-forge: a CA, and server or client certificates it signs
 * (a server's for 127.0.0.1). For TLS and mTLS tests on loopback.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: Forge.pki.Certificate;
  priv: Forge.pki.rsa.PrivateKey;
}

export function issueCert(cn: string, kind: 'ca' | 'server' | 'client', ca?: Issued): Issued {
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
          ...(kind === 'server' ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] : []),
        ],
  );
  cert.sign(ca ? ca.priv : priv, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.privateKey, cert, priv };
}
