/**
 * The library: `import { … } from 'tripbench'`. What a script needs to do what the commands do
 * (load, server, sidecar, run, report, merge), as functions that return data or strings: nothing
 * here prints, writes files, installs signal handlers or exits (that is cli/'s job, which this
 * entry never imports). Re-exports only, so importing it has no side effects.
 * docs/library.md describes it; test/library/*.test.ts run its README example and its packed form.
 */

// ---- a load: `tripbench load` ----
export { runLoad, prepareHttp, checkTarget } from './load/runLoad.js';
export { LOAD_KNOBS, loadArgv, loadOptions, loadSpecFromYaml } from './load/loadSpec.js';
export type { LoadOptions, LoadSpec, LoadSpecYaml } from './load/loadSpec.js';
export type { LoadOutcome, LoadRequest } from './load/runLoad.js';
export type { Shard } from './load/shard.js';
export { DEFAULT_RUN_OPTIONS } from './engine/options.js';
export type { RunOptions } from './engine/options.js';
export type { EngineProgress } from './engine/workers/pool.js';
export type { EngineResults, StopReason } from './engine/results.js';
export type { RunPlan } from './engine/schedule.js';
export { DEFAULT_HTTP_OPTIONS, makeHttpOptions } from './http/options.js';
export type { HeaderPair, HttpOptions, HttpOptionsInput, MadeHttpOptions } from './http/options.js';
export { curl } from './http/curl.js';
export type { CurlResult } from './http/curl.js';

// ---- the target and the sidecar: `tripbench server`, `tripbench sidecar` ----
export { IstioConfigError, loadIstioResources } from './istio/resources.js';
export type { IstioResources, SourceText } from './istio/resources.js';
export {
  CURRENT_ISTIO,
  DEFAULT_ISTIO_VERSION,
  parseIstioVersion,
  sidecarConfigFromYaml,
  startSidecar,
  startTarget,
  toSidecarConfig,
} from './rehearsal/index.js';
export type {
  IstioVersion,
  SidecarConfig,
  SidecarHandle,
  SidecarOptions,
  StatStore,
  TargetHandle,
  TargetOptions,
} from './rehearsal/index.js';

// ---- scenarios: `tripbench run` ----
export { loadScenario, loadScenarioFiles, ScenarioError } from './scenario/schema.js';
export { loadRunFiles, runScenarios } from './scenario/runFiles.js';
export type { RunAllOptions, Selected, SelectOptions } from './scenario/runFiles.js';
export { runScenario } from './scenario/run.js';
export type { RunScenarioOptions, ScenarioRun } from './scenario/run.js';
export { planScenario } from './scenario/plan.js';
export type { Scenario, Step, StepRun } from './scenario/types.js';
export type { ExpectationResult, ScenarioResult, StepResult, Verdict } from './scenario/results.js';

// ---- reports: fortio text and JSON, HTML, JUnit, Markdown, verdicts JSON, Prometheus ----
export { formatReport } from './report/fortioText.js';
export type { ReportOptions } from './report/fortioText.js';
export { encodeFortioJson, parseFortioJson } from './report/fortioJson.js';
export type { FortioResult, TripbenchExtras } from './report/fortioResult.js';
export { renderResultHtml } from './html/resultReport.js';
export type { ResultHtmlOptions } from './html/resultReport.js';
export { renderRunHtml } from './html/runReport.js';
export type { RunHtmlInput } from './html/runReport.js';
export { renderJUnit } from './scenario/render/junit.js';
export { renderMarkdownSummary } from './scenario/render/markdown.js';
export { renderVerdictsJson } from './scenario/render/verdictsJson.js';
export { renderPrometheus } from './metrics/prometheus.js';
export { pushMetrics } from './metrics/pushgateway.js';
export type { PushOptions } from './metrics/pushgateway.js';

// ---- merge: `tripbench merge` ----
export { mergeResults } from './merge/mergeResults.js';
export type { MergeInput, MergeOptions, MergeOutcome } from './merge/mergeResults.js';

// ---- logging, errors, version ----
export { configureLog, Level } from './shared/log.js';
export type { LoggerConfig } from './shared/log.js';
export { StartError, TripbenchError, UsageError } from './shared/errors.js';
export { VERSION } from './shared/version.js';
