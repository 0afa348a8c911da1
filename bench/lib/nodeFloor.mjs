#!/usr/bin/env node
/**
 * The bench's `nodefloor` peer: the least a Node client can do per keep-alive call, to show what
 * Node itself reaches beside wrk on this machine (docs/benchmarks.md, "Third pass"). One
 * net.Socket per connection reading into one fixed buffer (`onread`), one Promise and one async
 * function per call, the request prebuilt; a response is counted by its length, learnt from the
 * first one (the bench's nginx answers the same bytes every time). No histograms, no parsing.
 *
 *   node bench/lib/nodeFloor.mjs URL CONNECTIONS SECONDS   -> {"calls":N,"seconds":S} on stdout
 */
import * as net from 'node:net';

const [url, cArg, sArg] = process.argv.slice(2);
const u = new URL(url);
const conns = Number(cArg);
const seconds = Number(sArg);
const request = Buffer.from(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: nodefloor\r\n\r\n`, 'latin1');
const readBuffer = Buffer.allocUnsafe(64 * 1024);
let responseSize = 0;
let calls = 0;
let stopped = false;

function sizeOf(head) {
  const end = head.indexOf('\r\n\r\n');
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head.slice(0, end));
  if (end < 0 || !m) throw new Error('nodefloor: the first response has no Content-Length');
  return end + 4 + Number(m[1]);
}

async function connection() {
  let got = 0;
  let first = '';
  let done = null;
  const s = new net.Socket({
    onread: {
      buffer: readBuffer,
      callback: (n) => {
        if (responseSize === 0) {
          first += readBuffer.toString('latin1', 0, n);
          if (first.includes('\r\n\r\n')) responseSize = sizeOf(first);
        }
        got += n;
        if (responseSize > 0 && got >= responseSize) {
          got -= responseSize;
          const d = done;
          done = null;
          d?.();
        }
        return true;
      },
    },
  });
  s.setNoDelay(true);
  await new Promise((resolve, reject) => {
    s.once('error', reject);
    s.connect(Number(u.port), u.hostname, resolve);
  });
  const call = () =>
    new Promise((resolve) => {
      done = resolve;
      s.write(request);
    });
  const oneCall = async () => {
    await call();
    return 200;
  };
  while (!stopped) {
    await oneCall();
    calls++;
  }
  s.destroy();
}

const t0 = performance.now();
setTimeout(() => (stopped = true), seconds * 1000);
await Promise.all(Array.from({ length: conns }, connection));
process.stdout.write(`${JSON.stringify({ calls, seconds: (performance.now() - t0) / 1000 })}\n`);
