/**
 * Leveled logger shaped like current fortio's (fortio.org/log): on a terminal a text line
 * `HH:MM:SS.mmm [WRN] msg, key=value`, elsewhere (pipes, files, CI) one JSON object per line.
 * Report lines are not logs: they are written by the caller as plain text.
 * Never exits the process.
 */
export enum Level {
  Debug = 0,
  Verbose = 1,
  Info = 2,
  Warning = 3,
  Error = 4,
  Critical = 5,
  Fatal = 6,
}

export const LEVEL_NAMES = ['Debug', 'Verbose', 'Info', 'Warning', 'Error', 'Critical', 'Fatal'] as const;
const SHORT = ['DBG', 'VRB', 'INF', 'WRN', 'ERR', 'CRI', 'FTL'] as const;
const JSON_NAMES = ['dbug', 'trace', 'info', 'warn', 'err', 'crit', 'fatal'] as const;

export type Attrs = Record<string, string | number | boolean | null | undefined>;

export interface LoggerConfig {
  level: Level;
  /** true: JSON lines; false: text lines */
  json: boolean;
  write: (line: string) => void;
  now: () => Date;
}

const config: LoggerConfig = {
  level: Level.Info,
  json: !process.stderr.isTTY,
  write: (line) => process.stderr.write(line),
  now: () => new Date(),
};

/** Parses a fortio level name (any case) or number; undefined when unknown. */
export function parseLevel(s: string): Level | undefined {
  const t = s.trim().toLowerCase();
  const i = LEVEL_NAMES.findIndex((n) => n.toLowerCase() === t);
  if (i >= 0) return i as Level;
  if (/^[0-6]$/.test(t)) return Number(t) as Level;
  return undefined;
}

export function configureLog(c: Partial<LoggerConfig>): void {
  Object.assign(config, c);
}

export function getLevel(): Level {
  return config.level;
}

export function setLevel(l: Level): void {
  config.level = l;
}

export function logEnabled(l: Level): boolean {
  return l >= config.level;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function textValue(v: Attrs[string]): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function formatLogLine(level: Level, msg: string, attrs: Attrs | undefined, json: boolean, now: Date): string {
  if (json) {
    const o: Record<string, unknown> = {
      ts: Number((now.getTime() / 1000).toFixed(6)),
      level: JSON_NAMES[level],
      msg,
    };
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined) o[k] = v;
    return JSON.stringify(o) + '\n';
  }
  const ts = `${pad(now.getHours(), 2)}:${pad(now.getMinutes(), 2)}:${pad(now.getSeconds(), 2)}.${pad(now.getMilliseconds(), 3)}`;
  let line = `${ts} [${SHORT[level]}] ${msg}`;
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) line += `, ${k}=${textValue(v)}`;
  }
  return line + '\n';
}

export function log(level: Level, msg: string, attrs?: Attrs): void {
  if (level < config.level) return;
  config.write(formatLogLine(level, msg, attrs, config.json, config.now()));
}

export const debug = (msg: string, attrs?: Attrs): void => log(Level.Debug, msg, attrs);
export const verbose = (msg: string, attrs?: Attrs): void => log(Level.Verbose, msg, attrs);
export const info = (msg: string, attrs?: Attrs): void => log(Level.Info, msg, attrs);
export const warn = (msg: string, attrs?: Attrs): void => log(Level.Warning, msg, attrs);
export const error = (msg: string, attrs?: Attrs): void => log(Level.Error, msg, attrs);
export const critical = (msg: string, attrs?: Attrs): void => log(Level.Critical, msg, attrs);
