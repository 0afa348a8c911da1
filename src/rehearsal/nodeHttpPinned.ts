/**
 * The one thing the sidecar takes from Node's HTTP server beyond its documented API, kept here
 * (checked on Node 20.20, lib/_http_outgoing.js); test/rehearsal/nodeHttpPinned.test.ts fails
 * when a Node upgrade breaks it.
 *
 * Envoy writes no `connection` header on a keep-alive HTTP/1.1 response; Node's ServerResponse
 * always adds `Connection: keep-alive` and has no public switch for it. The head is composed in
 * the private `_storeHeader(firstLine, headers)` into the string `this._header` before anything is
 * written, so the line Node added is taken out of that string right there. The connection stays
 * keep-alive: Node decides that from `shouldKeepAlive`, not from the header text.
 */
import { ServerResponse } from 'node:http';

interface NodeHeadInternals {
  _storeHeader(firstLine: string, headers: unknown): void;
  _header: string | null;
}

/** Node's own keep-alive line, exactly as lib/_http_outgoing.js writes it. */
export const NODE_KEEP_ALIVE_LINE = '\r\nConnection: keep-alive\r\n';

/** Whether this Node has the private hook the class below relies on. */
export function nodeHeadHookPresent(): boolean {
  return typeof (ServerResponse.prototype as unknown as Partial<NodeHeadInternals>)._storeHeader === 'function';
}

/** A ServerResponse whose head carries no `Connection: keep-alive` (pass as createServer's ServerResponse). */
export class EnvoyServerResponse extends ServerResponse {
  _storeHeader(firstLine: string, headers: unknown): void {
    (ServerResponse.prototype as unknown as NodeHeadInternals)._storeHeader.call(this, firstLine, headers);
    const self = this as unknown as NodeHeadInternals;
    if (typeof self._header === 'string') self._header = self._header.replace(NODE_KEEP_ALIVE_LINE, '\r\n');
  }
}
