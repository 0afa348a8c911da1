/**
 * The chunked body of a response, for the response parser: like the rest of it, it finds where
 * the body ends (the last chunk and the trailers) without copying or decoding the data. Input may
 * be split anywhere; state lives in plain number fields.
 */

/** scan() consumed every byte and the body goes on. */
export const CHUNKS_MORE = -1;
/** scan() found a framing error: `error` says what, `pos` where scanning stopped. */
export const CHUNKS_BAD = -2;

const C_SIZE = 0;
const C_EXT = 1;
const C_SIZE_LF = 2;
const C_DATA = 3;
const C_DATA_CR = 4;
const C_DATA_LF = 5;
const C_TRAILER_START = 6;
const C_TRAILER_SKIP = 7;
const C_TRAILER_END_LF = 8;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const MAX_CHUNK_DIGITS = 12; // 16^12 < 2^53

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

export class ChunkedBody {
  error = '';
  /** Where scanning stopped on CHUNKS_BAD. */
  pos = 0;
  private state = C_SIZE;
  private remaining = 0;
  private digits = 0;
  private prevCR = false;

  reset(): void {
    this.state = C_SIZE;
    this.remaining = 0;
    this.digits = 0;
    this.prevCR = false;
    this.error = '';
    this.pos = 0;
  }

  /** Scans buf[start, end): the index just past the body's last byte, CHUNKS_MORE or CHUNKS_BAD. */
  scan(buf: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case C_DATA: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.state = C_DATA_CR;
          break;
        }
        case C_TRAILER_SKIP: {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0 || lf >= end) {
            this.prevCR = buf[end - 1] === CR;
            pos = end;
            break;
          }
          if (!(lf > pos ? buf[lf - 1] === CR : this.prevCR)) return this.bad('bare LF in response head', lf);
          pos = lf + 1;
          this.state = C_TRAILER_START;
          break;
        }
        default: {
          const r = this.step(buf[pos] as number, pos);
          if (r !== CHUNKS_MORE) return r;
          pos++;
        }
      }
    }
    return CHUNKS_MORE;
  }

  private bad(msg: string, pos: number): number {
    this.error = msg;
    this.pos = pos;
    return CHUNKS_BAD;
  }

  /** One byte of the byte-wise states at `pos`; a failure stops just past it, as the head's do. */
  private step(b: number, pos: number): number {
    switch (this.state) {
      case C_SIZE: {
        const v = hexValue(b);
        if (v >= 0) {
          if (++this.digits > MAX_CHUNK_DIGITS) return this.bad('chunk size too large', pos + 1);
          this.remaining = this.remaining * 16 + v;
        } else if (this.digits === 0) {
          return this.bad('bad chunk size', pos + 1);
        } else if (b === CR) {
          this.state = C_SIZE_LF;
        } else if (b === 0x3b || b === SP || b === HT) {
          this.state = C_EXT;
        } else {
          return this.bad('bad chunk size', pos + 1);
        }
        return CHUNKS_MORE;
      }
      case C_EXT:
        if (b === CR) this.state = C_SIZE_LF;
        else if (b === LF) return this.bad('bad chunk extension', pos + 1);
        return CHUNKS_MORE;
      case C_SIZE_LF:
        if (b !== LF) return this.bad('bad chunk size line', pos + 1);
        this.state = this.remaining === 0 ? C_TRAILER_START : C_DATA;
        return CHUNKS_MORE;
      case C_DATA_CR:
        if (b !== CR) return this.bad('chunk data longer than its size', pos + 1);
        this.state = C_DATA_LF;
        return CHUNKS_MORE;
      case C_DATA_LF:
        if (b !== LF) return this.bad('chunk data longer than its size', pos + 1);
        this.state = C_SIZE;
        this.digits = 0;
        this.remaining = 0;
        return CHUNKS_MORE;
      case C_TRAILER_START:
        if (b === CR) {
          this.state = C_TRAILER_END_LF;
        } else if (b === LF) {
          return this.bad('bad trailer', pos + 1);
        } else {
          this.state = C_TRAILER_SKIP;
          this.prevCR = false;
        }
        return CHUNKS_MORE;
      case C_TRAILER_END_LF:
        if (b !== LF) return this.bad('bad end of chunked body', pos + 1);
        return pos + 1;
      default:
        return this.bad('parser in an impossible state', pos + 1);
    }
  }
}
