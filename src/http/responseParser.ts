/**
 * Incremental HTTP/1.x response scanner for the lean client. It never copies or decodes the body:
 * it only finds where a response ends (Content-Length, chunked, or EOF) so that a 50 MB body is
 * counted, not stored. Input may be split anywhere; state lives in plain number fields.
 *
 * fortio semantics: the status is decided from bytes 9–11 (`HTTP/1.1 503`) as soon as they
 * arrive, and a non-OK status stops the scan right there (the caller closes the connection).
 * Unlike fortio, anything that is not `HTTP/d.d ddd` is malformed (-1) instead of "some code".
 */
import { CHUNKS_BAD, CHUNKS_MORE, ChunkedBody } from './chunkedBody.js';

/** More bytes needed. */
export const NEED_MORE = 0;
/** The response ended at `pos` (for EOF-delimited bodies: only from `finishEof`). */
export const DONE = 1;
/** A final status that is not OK was parsed; `pos` is where scanning stopped. */
export const NOT_OK = 2;
/** Not an HTTP/1.x response; `error` says why. */
export const MALFORMED = 3;
export type ParseResult = typeof NEED_MORE | typeof DONE | typeof NOT_OK | typeof MALFORMED;

const S_STATUS = 0;
const S_STATUS_SEP = 1;
const S_STATUS_REST = 2;
const S_LINE_START = 3;
const S_NAME = 4;
const S_SKIP_LINE = 5;
const S_CL_VALUE = 6;
const S_TE_VALUE = 7;
const S_EXPECT_LF = 8;
const S_HEAD_END_LF = 9;
const S_BODY_LENGTH = 10;
const S_BODY_EOF = 11;
/** In the chunked body: `chunks` scans it. */
const S_CHUNKED = 12;
const S_RAW = 13;
const S_DONE = 14;
const S_ERROR = 15;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const STATUS_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"
const CL_NAME = Buffer.from('content-length', 'latin1');
const TE_NAME = Buffer.from('transfer-encoding', 'latin1');
const NAME_NONE = 0;
const NAME_CL = 1;
const NAME_TE = 2;
const MAX_CONTENT_LENGTH = Number.MAX_SAFE_INTEGER;

/** fortio's codeIsOK (current): 2xx or 418. */
export function isOkCode(code: number): boolean {
  return (code >= 200 && code <= 299) || code === 418;
}

export class ResponseParser {
  /** Final status code; 200 in raw (HTTP/1.0 request) mode. */
  code = -1;
  /** Bytes up to and including the final response's blank line (interim 1xx heads included). */
  headerSize = 0;
  headersDone = false;
  /** The response says where it ends (Content-Length or chunked): the connection can be reused. */
  framed = false;
  /** Index in the last buffer where scanning stopped. */
  pos = 0;
  error = '';
  private result: ParseResult = NEED_MORE;
  private state = S_STATUS;
  private fed = 0;
  private statusPos = 0;
  private major = 0;
  private minor = 0;
  private noBody = false;
  private isHead = false;
  private contentLength = -1;
  private contentLengthAcc = 0;
  private chunked = false;
  private remaining = 0;
  private digits = 0;
  private name = NAME_NONE;
  private namePos = 0;
  private te = '';
  private prevCR = false;
  private readonly chunks = new ChunkedBody();

  /** Prepares for the next response. `raw`: fortio's -http1.0 mode, no parsing, read to EOF. */
  reset(isHead: boolean, raw: boolean): void {
    this.code = raw ? 200 : -1;
    this.headerSize = 0;
    this.headersDone = false;
    this.framed = false;
    this.pos = 0;
    this.error = '';
    this.state = raw ? S_RAW : S_STATUS;
    this.fed = 0;
    this.isHead = isHead;
    this.startResponse();
  }

  private startResponse(): void {
    this.statusPos = 0;
    this.noBody = this.isHead;
    this.contentLength = -1;
    this.chunked = false;
    this.remaining = 0;
    this.digits = 0;
    this.te = '';
    this.prevCR = false;
  }

  /** "HTTP/1.1 503", what fortio logs as the status of a non-OK response. */
  statusText(): string {
    return `HTTP/${this.major}.${this.minor} ${String(this.code).padStart(3, '0')}`;
  }

  /** The connection reached EOF: completes an EOF-delimited body, otherwise stays incomplete. */
  finishEof(): ParseResult {
    if (this.state === S_BODY_EOF || (this.state === S_RAW && this.fed > 0)) {
      this.state = S_DONE;
      return DONE;
    }
    return this.state === S_DONE ? DONE : NEED_MORE;
  }

  private fail(msg: string, pos: number): ParseResult {
    this.state = S_ERROR;
    this.error = msg;
    this.pos = pos;
    return MALFORMED;
  }

  /** Scans buf[start, end). */
  execute(buf: Buffer, start: number, end: number): ParseResult {
    let pos = start;
    const base = this.fed - start;
    this.fed += end - start;
    while (pos < end) {
      switch (this.state) {
        case S_BODY_LENGTH: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) return this.done(pos);
          break;
        }
        case S_CHUNKED: {
          const r = this.chunks.scan(buf, pos, end);
          if (r === CHUNKS_MORE) {
            pos = end;
            break;
          }
          if (r === CHUNKS_BAD) return this.fail(this.chunks.error, this.chunks.pos);
          return this.done(r);
        }
        case S_BODY_EOF:
        case S_RAW:
          pos = end;
          break;
        case S_STATUS_REST:
        case S_SKIP_LINE: {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0 || lf >= end) {
            this.prevCR = buf[end - 1] === CR;
            pos = end;
            break;
          }
          if (!(lf > pos ? buf[lf - 1] === CR : this.prevCR)) return this.fail('bare LF in response head', lf);
          pos = lf + 1;
          this.state = S_LINE_START;
          break;
        }
        case S_STATUS:
          // Whole "HTTP/d.d ddd" in this buffer (the usual case): one pass instead of 12 steps.
          if (this.statusPos === 0 && end - pos >= 12 && this.statusLine(buf, pos)) {
            pos += 12;
            if ((this.code >= 200 || this.code === 101) && !isOkCode(this.code)) {
              this.pos = pos;
              return NOT_OK;
            }
            break;
          }
          pos = this.stepAt(buf, pos, base);
          if (pos < 0) return this.result;
          break;
        case S_NAME: {
          // The matching part of "content-length" / "transfer-encoding" without a call per byte;
          // the byte that ends the match (':' or a mismatch) goes through step() as before.
          const want = this.name === NAME_CL ? CL_NAME : TE_NAME;
          let i = this.namePos;
          while (pos < end && i < want.length && ((buf[pos] as number) | 0x20) === want[i]) {
            i++;
            pos++;
          }
          this.namePos = i;
          if (pos === end) break;
          pos = this.stepAt(buf, pos, base);
          if (pos < 0) return this.result;
          break;
        }
        case S_DONE:
          // Bytes after the end of the response: the caller decides (it will not reuse the socket).
          this.pos = pos;
          return DONE;
        case S_ERROR:
          this.pos = pos;
          return MALFORMED;
        default:
          pos = this.stepAt(buf, pos, base);
          if (pos < 0) return this.result;
      }
    }
    this.pos = pos;
    return NEED_MORE;
  }

  /** step() on buf[pos]: the next position, or -1 when the scan ends (`result`, `pos` set). */
  private stepAt(buf: Buffer, pos: number, base: number): number {
    const r = this.step(buf[pos] as number, pos, base);
    if (r === NEED_MORE) return pos + 1;
    this.pos = pos + 1;
    this.result = r;
    return -1;
  }

  /** A clean status line at `at` (same rules as 12 step() calls in S_STATUS); false changes nothing. */
  private statusLine(buf: Buffer, at: number): boolean {
    for (let i = 0; i < 5; i++) if (buf[at + i] !== STATUS_PREFIX[i]) return false;
    const major = (buf[at + 5] as number) - 48;
    const minor = (buf[at + 7] as number) - 48;
    const c0 = (buf[at + 9] as number) - 48;
    const c1 = (buf[at + 10] as number) - 48;
    const c2 = (buf[at + 11] as number) - 48;
    if (buf[at + 6] !== 0x2e || buf[at + 8] !== SP || !(c0 >= 1 && c0 <= 9)) return false;
    if (!(major >= 0 && major <= 9 && minor >= 0 && minor <= 9 && c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9)) return false;
    this.major = major;
    this.minor = minor;
    this.code = c0 * 100 + c1 * 10 + c2;
    this.statusPos = 12;
    this.state = S_STATUS_SEP;
    return true;
  }

  private done(pos: number): ParseResult {
    this.state = S_DONE;
    this.pos = pos;
    return DONE;
  }

  /** One byte of the byte-wise states. `base + pos + 1` = bytes of this response up to and including b. */
  private step(b: number, pos: number, base: number): ParseResult {
    switch (this.state) {
      case S_STATUS: {
        const i = this.statusPos++;
        if (i < 5) {
          if (b !== STATUS_PREFIX[i]) return this.fail('not an HTTP/1.x status line', pos);
        } else if (i === 5 || i === 7) {
          if (b < 48 || b > 57) return this.fail('bad HTTP version', pos);
          if (i === 5) this.major = b - 48;
          else this.minor = b - 48;
        } else if (i === 6) {
          if (b !== 0x2e) return this.fail('bad HTTP version', pos);
        } else if (i === 8) {
          if (b !== SP) return this.fail('bad status line', pos);
        } else {
          if (b < 48 || b > 57 || (i === 9 && b === 48)) return this.fail('status code is not a number', pos);
          this.code = (i === 9 ? 0 : this.code * 10) + (b - 48);
          if (i === 11) {
            this.state = S_STATUS_SEP;
            const interim = this.code < 200 && this.code !== 101;
            if (!interim && !isOkCode(this.code)) return NOT_OK;
          }
        }
        return NEED_MORE;
      }
      case S_STATUS_SEP:
        if (b === SP) {
          this.state = S_STATUS_REST;
          this.prevCR = false;
        } else if (b === CR) {
          this.state = S_EXPECT_LF;
        } else {
          return this.fail('bad status line', pos);
        }
        return NEED_MORE;
      case S_LINE_START:
        if (b === CR) {
          this.state = S_HEAD_END_LF;
        } else if (b === LF || b === SP || b === HT || b === 0x3a) {
          return this.fail('bad header line', pos);
        } else {
          const l = b | 0x20;
          this.name = l === 0x63 ? NAME_CL : l === 0x74 ? NAME_TE : NAME_NONE;
          this.namePos = 1;
          this.state = this.name === NAME_NONE ? S_SKIP_LINE : S_NAME;
          this.prevCR = false;
        }
        return NEED_MORE;
      case S_NAME: {
        const want = this.name === NAME_CL ? CL_NAME : TE_NAME;
        if (this.namePos === want.length) {
          if (b === 0x3a) {
            if (this.name === NAME_CL) {
              if (this.contentLength >= 0) return this.fail('duplicate Content-Length', pos);
              this.digits = 0;
              this.remaining = 0;
              this.state = S_CL_VALUE;
            } else {
              this.te = '';
              this.state = S_TE_VALUE;
            }
            return NEED_MORE;
          }
        } else if ((b | 0x20) === want[this.namePos]) {
          this.namePos++;
          return NEED_MORE;
        }
        if (b === LF) return this.fail('bad header line', pos);
        this.state = S_SKIP_LINE;
        this.prevCR = b === CR;
        return NEED_MORE;
      }
      case S_CL_VALUE:
        if (b >= 48 && b <= 57) {
          // remaining = -1 marks "trailing whitespace seen": digits after it are an error
          if (this.remaining < 0) return this.fail('bad Content-Length', pos);
          const v = this.digits === 0 ? b - 48 : this.contentLengthAcc * 10 + (b - 48);
          if (v > MAX_CONTENT_LENGTH) return this.fail('Content-Length too large', pos);
          this.contentLengthAcc = v;
          this.digits++;
        } else if (b === SP || b === HT) {
          if (this.digits > 0) this.remaining = -1;
        } else if (b === CR) {
          if (this.digits === 0) return this.fail('bad Content-Length', pos);
          this.contentLength = this.contentLengthAcc;
          this.remaining = 0;
          this.state = S_EXPECT_LF;
        } else {
          return this.fail('bad Content-Length', pos);
        }
        return NEED_MORE;
      case S_TE_VALUE:
        if (b === CR) {
          this.chunked = /(^|[\s,])chunked[\s]*$/.test(this.te);
          this.state = S_EXPECT_LF;
        } else if (b === LF) {
          return this.fail('bare LF in response head', pos);
        } else {
          this.te += String.fromCharCode(b | 0x20);
          if (this.te.length > 256) this.te = this.te.slice(-32);
        }
        return NEED_MORE;
      case S_EXPECT_LF:
        if (b !== LF) return this.fail('CR without LF in response head', pos);
        this.state = S_LINE_START;
        return NEED_MORE;
      case S_HEAD_END_LF:
        if (b !== LF) return this.fail('CR without LF in response head', pos);
        return this.headEnd(pos, base);
      default:
        return this.fail('parser in an impossible state', pos);
    }
  }

  private headEnd(pos: number, base: number): ParseResult {
    this.headerSize = base + pos + 1;
    if (this.code < 200 && this.code !== 101) {
      // Interim response (100 Continue, 103 Early Hints…): the real one follows.
      this.state = S_STATUS;
      this.startResponse();
      return NEED_MORE;
    }
    this.headersDone = true;
    if (this.chunked && this.contentLength >= 0) return this.fail('both Content-Length and chunked', pos);
    this.framed = this.chunked || this.contentLength >= 0;
    if (this.noBody || this.code === 204 || this.code === 304) return this.done(pos + 1);
    if (this.chunked) {
      this.state = S_CHUNKED;
      this.chunks.reset();
    } else if (this.contentLength > 0) {
      this.state = S_BODY_LENGTH;
      this.remaining = this.contentLength;
    } else if (this.contentLength === 0) {
      return this.done(pos + 1);
    } else {
      this.state = S_BODY_EOF;
    }
    return NEED_MORE;
  }
}
