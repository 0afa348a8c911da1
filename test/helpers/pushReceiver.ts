/**
 * A local stand-in for the Prometheus Pushgateway: records every push and answers like the
 * Pushgateway does (200 when the exposition parses, 400 when not, 404 off /metrics/job).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readExposition } from '../metrics/exposition.js';

export interface Push {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Accepts pushes on /metrics/job/... the way the Pushgateway does: 200 when it parses, 400 when not. */
export async function startReceiver(status?: number): Promise<{ url: string; pushes: Push[]; close: () => Promise<void> }> {
  const pushes: Push[] = [];
  const srv: Server = createServer((req, res) => {
    void body(req).then((text) => {
      pushes.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: text });
      if (status) {
        res.writeHead(status).end('gateway says no');
        return;
      }
      if (!req.url?.startsWith('/metrics/job')) {
        res.writeHead(404).end();
        return;
      }
      try {
        readExposition(text);
        res.writeHead(200).end();
      } catch (e) {
        res.writeHead(400).end(`text format parsing error: ${(e as Error).message}`);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, pushes, close: () => new Promise((r) => srv.close(() => r())) };
}

