/**
 * -cacert, -cert, -key: the files a load's TLS client reads, read once in the main thread so the
 * clients in worker threads get PEM text, not paths. The command line and a scenario step read
 * them here alike; a problem names the flag and the path as given.
 */
import { readFileSync } from 'node:fs';
import { UsageError, errorMessage } from '../shared/errors.js';

export interface TlsFileTexts {
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function readPem(flag: string, path: string, marker: RegExp, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`invalid value "${path}" for flag -${flag}: ${errorMessage(e)}`);
  }
  if (!marker.test(text)) throw new UsageError(`invalid value "${path}" for flag -${flag}: no PEM ${what} in this file`);
  return text;
}

/** One of the three files by its flag name (cacert and cert: a certificate, key: a private key). */
export function readTlsFile(flag: 'cacert' | 'cert' | 'key', path: string): string {
  return flag === 'key' ? readPem(flag, path, KEY, 'private key') : readPem(flag, path, CERT, 'certificate');
}

/** '' = not given. -cert and -key go together (both or neither). */
export function readTlsFiles(cacert: string, cert: string, key: string): TlsFileTexts {
  const out: TlsFileTexts = {};
  if (cacert !== '') out.caCert = readTlsFile('cacert', cacert);
  if (cert === '' && key === '') return out;
  if (cert === '') throw new UsageError(`invalid value "${key}" for flag -key: -key needs -cert`);
  if (key === '') throw new UsageError(`invalid value "${cert}" for flag -cert: -cert needs -key`);
  out.clientCert = readTlsFile('cert', cert);
  out.clientKey = readTlsFile('key', key);
  return out;
}
