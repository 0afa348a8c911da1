/**
 * node:crypto's randomUUID and randomBytes, loaded on first use: importing node:crypto costs
 * ~13 ms of CPU at start-up, and a plain `tripbench load` (no {uuid} token, no -payload-size,
 * no -json file) never calls either (docs/benchmarks.md).
 */
import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');

const require = createRequire(import.meta.url);
let crypto: NodeCrypto | null = null;

function nodeCrypto(): NodeCrypto {
  crypto ??= require('node:crypto') as NodeCrypto;
  return crypto;
}

export function randomUUID(): string {
  return nodeCrypto().randomUUID();
}

export function randomBytes(size: number): Buffer {
  return nodeCrypto().randomBytes(size);
}
