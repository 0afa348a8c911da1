/**
 * Report files appear whole or not at all: write a temp file beside the target, fsync, rename.
 * rename(2) within one directory is atomic on POSIX, so a reader (CI uploading artifacts, a
 * second terminal) never sees half a JSON file, and an interrupted run leaves only finished files.
 * The sync variant exists for the exit path after SIGINT, where awaiting is not an option.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type AtomicData = string | Uint8Array;
/** Chunks are written as they come, so a generator can stream a large report. */
export type AtomicSource = AtomicData | Iterable<AtomicData> | AsyncIterable<AtomicData>;

function tempPath(path: string): string {
  // The name only has to be new in its directory (it is opened 'wx', never overwritten): Math.random
  // serves, where node:crypto would cost ~8 ms of CPU to load at the end of every `-json` run.
  const suffix = Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${suffix}.tmp`);
}

function toBytes(d: AtomicData): Uint8Array {
  return typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
}

function isChunked(d: AtomicSource): d is Iterable<AtomicData> | AsyncIterable<AtomicData> {
  return typeof d !== 'string' && !(d instanceof Uint8Array);
}

export interface AtomicOptions {
  mode?: number;
  /** false: a missing directory is an error (fortio's `-json` does not create one). Default true. */
  createDirs?: boolean;
}

/**
 * An existing path that is neither a file nor a directory (/dev/null, /dev/stdout, a FIFO) is
 * written into, as `os.Create` does for fortio: a temp file renamed onto it would replace the
 * device itself when run as root. Such a target cannot be half-written by us in a way a rename avoids.
 */
function isSpecial(st: { isFile(): boolean; isDirectory(): boolean } | undefined): boolean {
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

/** Every chunk of `data`, written whole to an open file. */
async function writeChunks(fh: FileHandle, data: AtomicSource): Promise<void> {
  for await (const chunk of isChunked(data) ? data : [data]) {
    const b = toBytes(chunk);
    let off = 0;
    while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
  }
}

function writeChunksSync(fd: number, data: AtomicData | Iterable<AtomicData>): void {
  for (const chunk of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) {
    const b = toBytes(chunk);
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  }
}

export async function writeFileAtomic(path: string, data: AtomicSource, { mode = 0o644, createDirs = true }: AtomicOptions = {}): Promise<void> {
  if (isSpecial(await stat(path).catch(() => undefined))) {
    const out = await open(path, 'w');
    try {
      await writeChunks(out, data);
    } finally {
      await out.close();
    }
    return;
  }
  if (createDirs) await mkdir(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  const fh = await open(tmp, 'wx', mode);
  let closed = false;
  try {
    await writeChunks(fh, data);
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
  } catch (e) {
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export function writeFileAtomicSync(path: string, data: AtomicData | Iterable<AtomicData>, { mode = 0o644, createDirs = true }: AtomicOptions = {}): void {
  if (isSpecial(statSync(path, { throwIfNoEntry: false }))) {
    const out = openSync(path, 'w');
    try {
      writeChunksSync(out, data);
    } finally {
      closeSync(out);
    }
    return;
  }
  if (createDirs) mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx', mode);
  let closed = false;
  try {
    writeChunksSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one worth reporting
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw e;
  }
}
