/**
 * The layering of docs/architecture.md ("Layers"), checked by `npm run lint:arch` (run by
 * `npm test`). An import is allowed only when a rule below allows it: a new arrow is added here
 * and in the doc together. Type-only imports count (--ts-pre-compilation-deps).
 */

/**
 * Who may import whom, folder by folder under src/ (a `dir/file.ts` entry allows that file only).
 * Every folder may also import its own files and shared/. docs/architecture.md draws the same
 * arrows; test/arch/layers.test.ts fails when the two differ.
 */
export const arrows = {
  shared: [],
  stats: [],
  engine: ['stats'],
  http: ['stats', 'engine/runnable.ts'],
  netload: ['engine/runnable.ts'],
  report: ['stats'],
  load: ['engine', 'http', 'netload', 'grpc', 'report', 'stats'],
  istio: [],
  grpc: ['engine/runnable.ts', 'stats'],
  rehearsal: ['istio'],
  scenario: ['load', 'engine', 'http', 'netload', 'report', 'stats', 'rehearsal', 'istio', 'merge', 'grpc'],
  merge: ['report', 'stats', 'load/resultId.ts'],
  html: ['report', 'scenario', 'stats'],
  metrics: ['scenario'],
  runs: ['html', 'report', 'scenario'],
  history: ['merge', 'report', 'runs', 'scenario', 'stats'],
};

function layer(from, to) {
  const targets = [from, 'shared', ...to].map((t) => (t.endsWith('.ts') ? t.replace(/\./g, '\\.') + '$' : `${t}/`));
  return {
    from: { path: `^src/${from}/` },
    to: { path: `^src/(${targets.join('|')})` },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  allowedSeverity: 'error',
  allowed: [
    // Node's own modules and the npm dependencies (never a devDependency: see the rule below).
    { from: {}, to: { dependencyTypes: ['core', 'npm'] } },
    ...Object.entries(arrows).map(([from, to]) => layer(from, to)),
    // cli and the library entry sit on top; the library never reaches into cli (it prints and exits).
    { from: { path: '^src/cli/' }, to: { path: '^src/' } },
    { from: { path: '^src/index\\.ts$' }, to: { path: '^src/', pathNot: '^src/cli/' } },
  ],
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle makes load order and layering ambiguous (dynamic imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-http-below-http',
      comment: 'Pacing, stats and the fortio report know nothing of HTTP or sockets.',
      severity: 'error',
      from: { path: '^src/(engine|stats|report)/' },
      to: { path: '^(http|https|http2|net|tls|dns|undici)$' },
    },
    {
      name: 'no-dev-dependency-in-src',
      comment: 'The installed package has no devDependencies.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
