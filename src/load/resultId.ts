/**
 * fortio's result ID, which is also the auto-save (-a) file name without `.json` (fortio-compat
 * §8.1): local `YYYY-MM-DD-HHMMSS`, `_<RunID>` when non-zero, `_<labels>` with every run of
 * non-alphanumerics turned into one `_`, truncated to 96 characters.
 */
export function resultId(start: Date, runId: number, labels: string): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let id =
    `${p(start.getFullYear(), 4)}-${p(start.getMonth() + 1)}-${p(start.getDate())}-` +
    `${p(start.getHours())}${p(start.getMinutes())}${p(start.getSeconds())}`;
  if (runId !== 0) id += `_${runId}`;
  const cleaned = labels.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+/, '').replace(/_+$/, '');
  if (cleaned !== '') id += `_${cleaned}`;
  return id.slice(0, 96);
}
