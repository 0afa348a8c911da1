/**
 * The target service: what the Istio tasks call on httpbin (`/get`, `/headers`, `/ip`,
 * `/status/{codes}`, `/delay/{s}`, `/anything`) plus fortio's echo parameters on any path.
 * Bounded: delays, payload sizes and request bodies are capped; timers die with their socket.
 */
import { createServer } from 'node:http';
import { createServer as createH2cServer, createSecureServer } from 'node:http2';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { h2cSniffer } from './h2cSniff.js';
import { serveH2cUpgrades } from './h2cUpgrade.js';
import { checkLoopback, listen, parseListen, urlOf } from './bind.js';
import type { ListenAddress } from './bind.js';
import { parseEchoParams, parseHttpbinStatus, pickWeighted } from './echoParams.js';
import type { EchoParams } from './echoParams.js';
import { UsageError } from '../shared/errors.js';
import { makeRng } from '../shared/random.js';
import type { Rng } from '../shared/random.js';

export interface TargetOptions {
  /** "host:port"; default 127.0.0.1:0 */
  listen?: string;
  allowRemote?: boolean;
  /** cap on any delay (echo `delay=` and httpbin `/delay/`), ms; httpbin's own cap is 10 s */
  maxDelayMs?: number;
  /** cap on `size=`, bytes (fortio's default max payload is 256 KiB) */
  maxSize?: number;
  /** largest request body read, bytes */
  maxBodyBytes?: number;
  /** idle keep-alive connections are closed after this, ms */
  keepAliveTimeoutMs?: number;
  /** 0 = random */
  seed?: number;
  /**
   * Echo parameters applied to every request that does not set them itself (fortio syntax,
   * e.g. `{ status: '503:20', delay: '2ms' }`): a scenario's `upstream` behaviour without
   * rewriting the URLs the load sends, so the same scenario runs unchanged against a cluster.
   */
  defaults?: TargetDefaults;
  /**
   * serve HTTPS with this certificate (PEM): the stand-in for an outside host's TLS port, or
   * `tripbench server -cert -key`; with `ca`, a client certificate signed by it is required and
   * verified (fortio's `-mtls -cacert`: tls.RequireAndVerifyClientCert).
   */
  tls?: TargetTls;
}

export interface TargetTls {
  cert: string;
  key: string;
  ca?: string | undefined;
}

export interface TargetDefaults {
  delay?: string;
  status?: string;
}

export interface TargetHandle {
  url: string;
  address: ListenAddress;
  /** connections accepted so far (tells how often a proxy reconnected) */
  connections(): number;
  requests(): number;
  /** the SNI of every TLS connection accepted, in order (HTTPS targets only) */
  serverNames(): string[];
  close(): Promise<void>;
}

export const DEFAULT_MAX_DELAY_MS = 10_000;
export const DEFAULT_MAX_SIZE = 256 * 1024;

interface Ctx {
  rng: Rng;
  maxDelayMs: number;
  maxSize: number;
  maxBody: number;
  defaults: TargetDefaults;
}

/** The request's own echo parameters win; the defaults fill in what it leaves out. */
function withDefaults(q: URLSearchParams, d: TargetDefaults): URLSearchParams {
  if ((d.delay === undefined || q.has('delay')) && (d.status === undefined || q.has('status'))) return q;
  const out = new URLSearchParams(q);
  if (d.delay !== undefined && !q.has('delay')) out.set('delay', d.delay);
  if (d.status !== undefined && !q.has('status')) out.set('status', d.status);
  return out;
}

const PAYLOAD_CHARS = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');

function payload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = PAYLOAD_CHARS[i % PAYLOAD_CHARS.length] as number;
  return b;
}

/**
 * httpbin's header names: werkzeug's EnvironHeaders turn HTTP_X_B3_TRACEID back into
 * `X-B3-Traceid` (Python str.title over the dash-separated name: a letter after a non-letter
 * is upper case, every other letter lower case).
 */
export function httpbinHeaderName(name: string): string {
  let out = '';
  let prevLetter = false;
  for (const ch of name.replace(/_/g, '-')) {
    const letter = /[a-z]/i.test(ch);
    out += letter ? (prevLetter ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevLetter = letter;
  }
  return out;
}

/** Headers httpbin hides unless `?show_env` (httpbin/helpers.py ENV_HEADERS): what its own proxies add. */
const ENV_HEADERS = new Set(['X-Varnish', 'X-Request-Start', 'X-Heroku-Queue-Depth', 'X-Real-Ip', 'X-Forwarded-Proto', 'X-Forwarded-Protocol', 'X-Forwarded-Ssl', 'X-Heroku-Queue-Wait-Time', 'X-Forwarded-For', 'X-Heroku-Dynos-In-Use', 'X-Forwarded-Port', 'X-Request-Id', 'Via', 'Total-Route-Time', 'Connect-Time']);

/**
 * The request's header lines as received; over HTTP/2 (the TLS stand-in offers h2 by ALPN, as
 * the outside hosts do) the `:authority` pseudo-header is the Host and the other pseudo-headers
 * are no header lines.
 */
function headerLines(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i] as string;
    const v = req.rawHeaders[i + 1] as string;
    if (k === ':authority') out.unshift(['host', v]);
    else if (!k.startsWith(':')) out.push([k, v]);
  }
  return out;
}

function headersObject(req: IncomingMessage, url?: URL): Record<string, string> {
  const out: Record<string, string> = {};
  const showEnv = url?.searchParams.has('show_env') ?? false;
  for (const [name, v] of headerLines(req)) {
    const k = httpbinHeaderName(name);
    if (!showEnv && ENV_HEADERS.has(k)) continue;
    out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  }
  return out;
}

function argsObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(q.keys())) {
    const all = q.getAll(k);
    out[k] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}

/** httpbin's origin: X-Forwarded-For when a proxy set one, else the peer address. */
function origin(req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff !== '') return xff;
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function pyJson(v: unknown, indent: string): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + pyJson(x, inner)).join(', \n')}\n${indent}]`;
  const keys = Object.keys(v as Record<string, unknown>).sort();
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${pyJson(k, inner)}: ${pyJson((v as Record<string, unknown>)[k], inner)}`).join(', \n')}\n${indent}}`;
}

/**
 * httpbin's JSON: Flask 1.0 jsonify with JSONIFY_PRETTYPRINT_REGULAR (indent 2, separators
 * ", " and ": ", so lines end in ", "), keys sorted, non-ASCII escaped, one trailing newline.
 */
export function httpbinJson(v: unknown): string {
  return pyJson(v, '') + '\n';
}

function json(v: unknown): Buffer {
  return Buffer.from(httpbinJson(v));
}

/** httpbin's url: the scheme a proxy reports in X-Forwarded-Proto (helpers.get_url). */
function requestUrlText(req: IncomingMessage, url: URL): string {
  const proto = req.headers['x-forwarded-proto'];
  if (typeof proto !== 'string' || proto === '') return url.toString();
  const u = new URL(url.toString());
  u.protocol = `${proto}:`;
  return u.toString();
}

interface Reply {
  status: number;
  body: Buffer;
  type: string;
  delayMs: number;
  /** an httpbin route: answered with gunicorn's and Flask's headers, as httpbin.org does */
  httpbin?: boolean;
}

function anything(req: IncomingMessage, url: URL, body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  let parsed: unknown = null;
  const ct = req.headers['content-type'] ?? '';
  if (ct.includes('json') && text !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = null;
    }
  }
  const form = ct.includes('application/x-www-form-urlencoded') ? argsObject(new URLSearchParams(text)) : {};
  return { args: argsObject(url.searchParams), data: ct.includes('form') ? '' : text, files: {}, form, headers: headersObject(req, url), json: parsed, method: req.method, origin: origin(req), url: requestUrlText(req, url) };
}

/** httpbin routes; undefined = not an httpbin path (echo it, fortio style). */
function httpbin(ctx: Ctx, req: IncomingMessage, url: URL, body: Buffer): Reply | string | undefined {
  const p = url.pathname;
  const ok = (v: unknown, delayMs = 0): Reply => ({ status: 200, body: json(v), type: 'application/json', delayMs, httpbin: true });
  if (p === '/get') return ok({ args: argsObject(url.searchParams), headers: headersObject(req, url), origin: origin(req), url: requestUrlText(req, url) });
  if (p === '/headers') return ok({ headers: headersObject(req, url) });
  if (p === '/ip') return ok({ origin: origin(req) });
  if (p === '/user-agent') return ok({ 'user-agent': req.headers['user-agent'] ?? null });
  if (p === '/anything' || p.startsWith('/anything/')) return ok(anything(req, url, body));
  const status = /^\/status\/([^/]+)$/.exec(p);
  if (status) {
    let raw: string;
    try {
      raw = decodeURIComponent(status[1] as string);
    } catch {
      return `Invalid status code ${JSON.stringify(status[1])} (bad percent-encoding)`;
    }
    const s = parseHttpbinStatus(raw);
    if (!s.ok) return s.error;
    const code = pickWeighted(s.value, ctx.rng);
    return { status: code, body: Buffer.alloc(0), type: 'text/html; charset=utf-8', delayMs: 0, httpbin: true };
  }
  const delay = /^\/delay\/([^/]+)$/.exec(p);
  if (delay) {
    const raw = delay[1] as string;
    if (!/^\d+(\.\d+)?$/.test(raw)) return `invalid delay ${JSON.stringify(raw)} (seconds)`;
    const ms = Math.min(Number(raw) * 1000, 10_000, ctx.maxDelayMs);
    return ok(anything(req, url, body), ms);
  }
  return undefined;
}

function debugText(req: IncomingMessage, body: Buffer): Buffer {
  let s = `tripbench echo debug server - request from ${origin(req)}\n\n${req.method} ${req.url} HTTP/${req.httpVersion}\n\nheaders:\n\n`;
  for (const [k, v] of headerLines(req)) s += `${k}: ${v}\n`;
  s += `\nbody:\n\n${body.toString('utf8')}\n`;
  return Buffer.from(s);
}

/** The request URL; a Host header or absolute-form target that is no URL must not crash the target. */
function requestUrl(req: IncomingMessage): URL | undefined {
  const target = req.url ?? '/';
  try {
    const authority = req.headers.host ?? req.headers[':authority'];
    return new URL(target, `http://${typeof authority === 'string' ? authority : 'localhost'}`);
  } catch {
    try {
      return new URL(target, 'http://localhost');
    } catch {
      return undefined;
    }
  }
}

function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const bad = (reason: string): void => {
    const b = Buffer.from(`${reason}\n`);
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': b.length });
    res.end(b);
  };
  const url = requestUrl(req);
  if (!url) return bad(`invalid request target ${JSON.stringify(req.url ?? '')}`);
  const ep = parseEchoParams(withDefaults(url.searchParams, ctx.defaults), ctx.rng, { maxDelayMs: ctx.maxDelayMs, maxSize: ctx.maxSize });
  if (!ep.ok) return bad(ep.error);
  const echo: EchoParams = ep.value;
  const hb = httpbin(ctx, req, url, body);
  if (typeof hb === 'string') return bad(hb);
  let reply: Reply;
  if (hb) reply = hb;
  else if (url.pathname === '/debug') reply = { status: 200, body: debugText(req, body), type: 'text/plain; charset=utf-8', delayMs: 0 };
  else reply = { status: 200, body, type: req.headers['content-type'] ?? 'application/octet-stream', delayMs: 0 };
  if (echo.status !== undefined) reply.status = echo.status;
  if (echo.size !== undefined) {
    reply.body = payload(echo.size);
    reply.type = 'application/octet-stream';
  }
  const delayMs = Math.min(ctx.maxDelayMs, Math.max(reply.delayMs, echo.delayMs ?? 0));
  const respond = (): void => {
    if (res.destroyed) return;
    let b = reply.body;
    const headers: Array<[string, string]> = [['content-type', reply.type]];
    if (echo.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      b = gzipSync(b);
      headers.push(['content-encoding', 'gzip']);
    }
    if (reply.httpbin) {
      // gunicorn writes Server and Date first, then the app's (Flask's) Title-Case headers.
      res.sendDate = false;
      headers[0] = ['Content-Type', reply.type];
      headers.unshift(['Server', 'gunicorn/19.9.0'], ['Date', new Date().toUTCString()]);
      headers.push(['Content-Length', String(b.length)], ['Access-Control-Allow-Origin', '*'], ['Access-Control-Allow-Credentials', 'true']);
    } else {
      headers.push(['content-length', String(b.length)], ['access-control-allow-origin', '*'], ['access-control-allow-credentials', 'true']);
    }
    for (const h of echo.headers) headers.push(h);
    // HTTP/2 has no connection header (RFC 9113 §8.2.2): the stream ends, the connection stays.
    if (echo.close && req.httpVersionMajor < 2) headers.push(['connection', 'close']);
    res.writeHead(reply.status, headers.flat());
    res.end(b);
  };
  if (delayMs > 0) {
    const t = setTimeout(respond, delayMs);
    res.on('close', () => clearTimeout(t));
  } else {
    respond();
  }
}

function closeServer(s: NetServer | Http2SecureServer, open: ReadonlySet<Socket>): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    for (const c of open) c.destroy();
  });
}

export async function startTarget(o: TargetOptions = {}): Promise<TargetHandle> {
  const addr = parseListen(o.listen ?? '127.0.0.1:0', 'listen');
  checkLoopback(addr, o.allowRemote ?? false, 'listen');
  const ctx: Ctx = {
    rng: makeRng(o.seed),
    maxDelayMs: o.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
    maxSize: o.maxSize ?? DEFAULT_MAX_SIZE,
    maxBody: o.maxBodyBytes ?? 1024 * 1024,
    defaults: { ...o.defaults },
  };
  // A bad default would turn every request into a 400; refuse it before listening instead.
  const checked = parseEchoParams(withDefaults(new URLSearchParams(), ctx.defaults), makeRng(1), { maxDelayMs: ctx.maxDelayMs, maxSize: ctx.maxSize });
  if (!checked.ok) throw new UsageError(`target defaults: ${checked.error}`);
  let connections = 0;
  let requests = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > ctx.maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'content-type': 'text/plain', 'content-length': 18, connection: 'close' });
        res.end('request too large\n');
        return;
      }
      handle(ctx, req, res, Buffer.concat(chunks));
    });
  };
  const serverNames: string[] = [];
  // The TLS stand-in offers h2 and http/1.1 by ALPN as the outside hosts do (curl -I
  // https://www.google.com prints `HTTP/2 200`); the HTTP/2 compatibility API keeps one handler.
  const onH2Request = onRequest as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  let server: NetServer | Http2SecureServer;
  if (o.tls) {
    const mutual = o.tls.ca !== undefined ? { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true } : {};
    // TLS 1.2 at least, as fortio's TLSConfig (MinVersion: tls.VersionTLS12).
    server = createSecureServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2', allowHTTP1: true, ...mutual }, onH2Request);
    server.on('secureConnection', (s: TLSSocket) => serverNames.push(typeof s.servername === 'string' ? s.servername : ''));
  } else {
    const http1 = createServer(onRequest);
    http1.keepAliveTimeout = o.keepAliveTimeoutMs ?? 300_000;
    const h2c = createH2cServer(onH2Request);
    // Prior knowledge is sniffed from the first bytes; the upgrade arrives as an HTTP/1.1 request.
    serveH2cUpgrades(http1, h2c, (req, res, body) => {
      requests++;
      handle(ctx, req, res, body);
    }, ctx.maxBody);
    server = h2cSniffer(http1, h2c);
  }
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    connections++;
    open.add(s);
    s.once('close', () => open.delete(s));
    s.setNoDelay(true);
  });
  const bound = await listen(server, addr);
  return {
    url: o.tls ? urlOf(bound).replace(/^http:/, 'https:') : urlOf(bound),
    address: bound,
    connections: () => connections,
    requests: () => requests,
    serverNames: () => [...serverNames],
    close: () => closeServer(server, open),
  };
}
