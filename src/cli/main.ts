/**
 * `tripbench <command> [flags] [args]`: the process entry. Only this layer writes to the
 * terminal, installs signal handlers and sets the exit code.
 */
import { ExitCode } from '../shared/exitCodes.js';
import { VERSION } from '../shared/version.js';
import { errorMessage, UsageError } from '../shared/errors.js';
import { guardProcessOutput } from './processOutput.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: () => Promise<Command>; help: string }> = {
  load: { run: async () => (await import('./load.js')).loadCommand, help: 'run a fortio-compatible load test against a URL' },
  curl: { run: async () => (await import('./load.js')).curlCommand, help: 'fetch one URL and print the response' },
  grpcping: { run: async () => (await import('./grpcping.js')).grpcpingCommand, help: "fortio's gRPC ping client: RTT and clock skew to a gRPC ping server (-health: health checks)" },
  server: { run: async () => (await import('./server.js')).serverCommand, help: 'start the httpbin/fortio-echo compatible target' },
  sidecar: { run: async () => (await import('./sidecar.js')).sidecarCommand, help: 'start the Envoy sidecar emulator for Istio resources' },
  report: { run: async () => (await import('./report.js')).reportCommand, help: 'print a saved result as fortio text, or write its HTML report (-o)' },
  merge: { run: async () => (await import('./merge.js')).mergeCommand, help: 'merge JSON results of shards, pods or runs into one report' },
  run: { run: async () => (await import('./run.js')).runCommand, help: 'run scenario files (local rehearsal or --target) and judge their expectations' },
  k8s: { run: async () => (await import('./k8s.js')).k8sCommand, help: 'print the Kubernetes manifests of a distributed run (-shards N -run-id ID) or a scheduled check (-schedule)' },
  history: { run: async () => (await import('./history.js')).historyCommand, help: 'tabulate past runs of a scenario (reports/<scenario>) to show drift' },
  version: { run: async () => versionCommand, help: 'print the version' },
};

async function versionCommand(): Promise<number> {
  process.stdout.write(`tripbench ${VERSION} (fortio-compatible load, node ${process.versions.node})\n`);
  return ExitCode.OK;
}

function usage(): string {
  const lines = ['Usage: tripbench <command> [flags] [args]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.help}`);
  lines.push('', "Run 'tripbench <command> -h' for a command's flags.");
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stderr.write(usage());
    return cmd === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (cmd === '-version' || cmd === '--version') return versionCommand();
  const entry = COMMANDS[cmd];
  if (!entry) {
    process.stderr.write(`tripbench: unknown command "${cmd}"\n${usage()}`);
    return ExitCode.USAGE;
  }
  const run = await entry.run();
  return run(rest);
}

guardProcessOutput();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      // Several problems (file:line:col each) are printed as they are, one per line.
      process.stderr.write(e.message.includes('\n') ? `${e.message}\n` : `tripbench: ${e.message}\n`);
      process.exitCode = ExitCode.USAGE;
      return;
    }
    process.stderr.write(`tripbench: ${errorMessage(e)}\n`);
    if (process.env['TRIPBENCH_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = ExitCode.FAILURE;
  },
);
