/**
 * The rehearsal's own certificate authority: made at start, it signs one server certificate for
 * the ServiceEntries' TLS hosts, so a client that trusts the CA (tripbench run by itself,
 * `-cacert` by hand) verifies the local upstream under the outside host's name as it would the
 * real one. Keys come from Node's own generator; node-forge only writes the X.509 structures.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

// node-forge is CommonJS without an ESM default export in its types.
const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;

export interface RehearsalCerts {
  /** PEM of the CA certificate (what a client trusts) */
  caPem: string;
  /** PEM of the server certificate, SANs = the hosts */
  certPem: string;
  /** PEM (PKCS#8) of the server key */
  keyPem: string;
}

function keyPair(): { pub: Forge.pki.rsa.PublicKey; priv: Forge.pki.rsa.PrivateKey; privPem: string } {
  const k = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return { pub: forge.pki.publicKeyFromPem(k.publicKey), priv: forge.pki.privateKeyFromPem(k.privateKey), privPem: k.privateKey };
}

function base(cert: Forge.pki.Certificate, pub: Forge.pki.rsa.PublicKey): void {
  cert.publicKey = pub;
  // A positive serial (high bit clear), as X.509 requires.
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + 7 * 86_400_000);
}

/** A CA and a server certificate for `hosts` (DNS names, `*.x` wildcards allowed; IPs as IP SANs). */
export function makeRehearsalCerts(hosts: readonly string[]): RehearsalCerts {
  const ca = keyPair();
  const caCert = forge.pki.createCertificate();
  base(caCert, ca.pub);
  const caName = [{ name: 'commonName', value: 'tripbench rehearsal CA' }, { name: 'organizationName', value: 'tripbench' }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.priv, forge.md.sha256.create());

  const leaf = keyPair();
  const cert = forge.pki.createCertificate();
  base(cert, leaf.pub);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caName);
  const alt = hosts.map((h) => (/^[\d.]+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: alt },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.priv, forge.md.sha256.create());
  return { caPem: forge.pki.certificateToPem(caCert), certPem: forge.pki.certificateToPem(cert), keyPem: leaf.privPem };
}
