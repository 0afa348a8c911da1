/** Every exit code tripbench uses, in one place (documented in the README). */
export const ExitCode = {
  /** load: the run happened (even with errors); run: every expectation passed */
  OK: 0,
  /** load/curl: the run could not start (DNS, warmup failure, no URL); curl: non-200; run: some FAIL */
  FAILURE: 1,
  /** bad flag, bad value, bad scenario file */
  USAGE: 2,
  /** run: inconclusive verdicts without any FAIL */
  INCONCLUSIVE: 3,
  /** run: target unreachable before the first step */
  UNREACHABLE: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
