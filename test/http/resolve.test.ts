import { describe, expect, it } from 'vitest';
import { targetSharesHost } from '../../src/http/resolve.js';
import { workerCount } from '../../src/engine/index.js';

describe('targetSharesHost: a target on this machine gets a core left to it', () => {
  it.each([
    ['http://127.0.0.1:8080/', '', true],
    ['http://localhost/get', '', true],
    ['http://[::1]:80/', '', true],
    ['127.0.0.2:9000/x', '', true],
    ['http://httpbin:8000/get', '', false],
    ['http://httpbin:8000/get', '127.0.0.1', true],
    ['https://example.com/', '', false],
  ])('%s (resolve %s) → %s', (url, resolve, shares) => {
    expect(targetSharesHost(url, resolve)).toBe(shares);
  });

  it('workerCount: one per core, less the reserve, at least 1, never above the threads', () => {
    expect(workerCount(0, 16, 2, 0)).toBe(2);
    expect(workerCount(0, 16, 2, 1)).toBe(1);
    expect(workerCount(0, 16, 8, 1)).toBe(7);
    expect(workerCount(0, 3, 8, 0)).toBe(3);
    expect(workerCount(0, 16, 1, 1)).toBe(1);
    expect(workerCount(4, 2, 8, 1)).toBe(2);
  });
});
