import { UserError } from '../errors.js';
import { formatPosition } from '../located.js';

/** One located problem in an Armada manifest (or in an override of it). */
export interface ManifestProblem {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  column: number;
  /** `Chart keystone`, `ChartGroup openstack-keystone`, `Manifest armada-manifest`, or '' */
  document: string;
  /** Dotted key path inside the document (`data.wait.timeout`), '' for the document itself. */
  keyPath: string;
  message: string;
}

/** `examples/armada/openstack.yaml:42:7 [Chart keystone] data.wait.timeout: expected an integer, got "soon"` */
export function formatManifestProblem(problem: ManifestProblem, cwd = process.cwd()): string {
  const where = formatPosition(problem, cwd);
  const document = problem.document ? ` [${problem.document}]` : '';
  const key = problem.keyPath ? ` ${problem.keyPath}:` : '';
  const level = problem.severity === 'warning' ? ' warning:' : '';
  return `${where}${document}${level}${key} ${problem.message}`;
}

export class ManifestError extends UserError {
  constructor(readonly problems: ManifestProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      `Armada manifest is not valid (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((p) => `  ${formatManifestProblem(p)}`).join('\n'),
    );
  }
}

export function hasErrors(problems: readonly ManifestProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
