import { describe, expect, it } from 'vitest';
import { urlPort } from '../../src/shared/urlPort.js';

describe('urlPort', () => {
  it("is the URL's port, else the scheme's default", () => {
    expect(urlPort(new URL('http://httpbin:8000/get'))).toBe(8000);
    expect(urlPort(new URL('http://httpbin/get'))).toBe(80);
    expect(urlPort(new URL('HTTPS://api.example.com/'))).toBe(443);
    expect(urlPort(new URL('https://[::1]:8443/'))).toBe(8443);
  });
});
