import { fortioLikeLoad } from '../test/helpers/rehearsalClient.js';
const [url, c, n] = process.argv.slice(2);
const r = await fortioLikeLoad({ url: url!, c: Number(c), n: Number(n), keepResponses: false });
console.log(JSON.stringify({ codes: [...r.codes], sockets: r.sockets, dur: r.durationMs }));
