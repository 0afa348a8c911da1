/**
 * Worker thread of the admin `?filter=`: compiles the pattern with re2js (RE2 syntax, linear
 * time) and partially matches it against each stat name, as Envoy's RE2::PartialMatch does.
 */
import { parentPort } from 'node:worker_threads';
import { RE2JS } from 're2js';
import type { FilterReply, FilterRequest } from './statFilter.js';

parentPort?.on('message', (m: FilterRequest) => {
  let reply: FilterReply;
  try {
    const re = RE2JS.compile(m.pattern);
    reply = { id: m.id, keep: m.names.map((n) => re.test(n)) };
  } catch {
    // Any compile failure (syntax, nesting, repeat counts) is what Envoy calls an invalid re2 regex.
    reply = { id: m.id, invalid: true };
  }
  parentPort?.postMessage(reply);
});
