/**
 * Unknown fields: the JSON-schema validators kubernetes-models compiles from the Kubernetes
 * OpenAPI spec check types, enums and required fields but let unknown keys through (as the
 * OpenAPI spec does), and a misspelt key (`completionsMode`) is silently dropped by
 * `kubectl apply` on older servers. kubernetes-models also ships the same spec as TypeScript
 * interfaces, where an unknown key in an object literal is a compile error, so each manifest is
 * type-checked as `const x: IDeployment = {...}` with the TypeScript compiler.
 */
import ts from 'typescript';
import { fileURLToPath } from 'node:url';

export interface TypedDoc {
  /** for messages: "client.yaml#1 Deployment tripbench" */
  label: string;
  /** module with the interface, e.g. kubernetes-models/apps/v1/Deployment */
  module: string;
  /** e.g. IDeployment */
  iface: string;
  value: unknown;
}

/** One message per problem: "<label>: <line of the manifest as JSON>: <compiler message>". */
export function typeCheckDocs(docs: readonly TypedDoc[]): string[] {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const file = `${dir}__manifests_check.ts`;
  const lines: string[] = [];
  const owner: string[] = [];
  docs.forEach((d, i) => {
    lines.push(`import type { ${d.iface} as T${i} } from '${d.module}';`);
    owner.push(d.label);
  });
  docs.forEach((d, i) => {
    const body = `export const d${i}: T${i} = ${JSON.stringify(d.value, null, 2)};`.split('\n');
    for (const l of body) {
      lines.push(l);
      owner.push(d.label);
    }
  });
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  const program = ts.createProgram([file], options, host);
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file || d.file === undefined);
  return diags.map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(-1)[0] ?? '';
    if (!d.file || d.start === undefined) return msg;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    return `${owner[line] ?? '?'}: ${(lines[line] ?? '').trim()}: ${msg}`;
  });
}
