/**
 * Prometheus' own checker of the text exposition: `promtool check metrics` (Debian package
 * `prometheus`) parses with Prometheus' Go parser and lints names, types and labels. Exit 0 and
 * no output is the only clean result; 1 is a parse error, 3 a lint complaint.
 */
import { spawnSync } from 'node:child_process';
import { needTool } from './tools.js';

export const PROMTOOL = needTool('promtool', 'prometheus');

/** promtool's complaints about the exposition: '' when it accepts it silently. */
export function promtoolErrors(text: string): string {
  const r = spawnSync(PROMTOOL.path, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const said = `${r.stdout}${r.stderr}`.trim();
  return r.status === 0 && said === '' ? '' : `exit ${r.status}: ${said}`;
}
