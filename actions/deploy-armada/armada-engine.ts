/**
 * The armada engine: the Armada CLI itself (`armada apply`), for sites that still use it. It gets
 * the rendered manifest (placeholders, profile values and image tags applied) and the run's own
 * overrides as Armada flags (`--values`, `--set`), so Armada merges them exactly as it always did.
 * Armada reads the kubeconfig from KUBECONFIG. In a container, the manifest, values files, local
 * chart sources and kubeconfig are mounted read-only at the same paths.
 */
import path from 'node:path';
import type { DeploymentModel } from '../lib/armada/index.js';

export interface ArmadaCommand {
  /** The executable: the armada binary, or docker/podman. */
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
}

export interface ArmadaCommandOptions {
  manifestFile: string;
  targetManifest?: string;
  valuesFiles: string[];
  set: string[];
  /** Seconds each chart may take (`--timeout`), when the run has a deadline. */
  timeoutS?: number;
  kubeconfig?: string;
  debug?: boolean;
  binary?: string;
  image?: string;
  containerEngine?: 'docker' | 'podman';
  /** `--name` of the container, so a cancelled run can stop it (killing the CLI leaves it running). */
  containerName?: string;
  /** Local chart directories to make visible inside the container. */
  localSources?: string[];
  env: Readonly<Record<string, string | undefined>>;
}

export function armadaApplyArgs(
  options: Pick<
    ArmadaCommandOptions,
    'manifestFile' | 'targetManifest' | 'valuesFiles' | 'set' | 'timeoutS' | 'debug'
  >,
): string[] {
  const args = ['apply', options.manifestFile];
  if (options.targetManifest) args.push('--target-manifest', options.targetManifest);
  for (const file of options.valuesFiles) args.push('--values', file);
  for (const override of options.set) args.push('--set', override);
  if (options.timeoutS !== undefined) args.push('--timeout', String(options.timeoutS));
  if (options.debug) args.push('--debug');
  return args;
}

/** Local chart directories a manifest refers to (to mount them into an Armada container). */
export function localSourceDirs(model: DeploymentModel): string[] {
  const dirs = new Set<string>();
  for (const chart of model.groups.flatMap((g) => g.charts)) {
    if (chart.source.type === 'local') dirs.add(chart.source.location);
    const visit = (deps: typeof chart.dependencies) => {
      for (const dep of deps) {
        if (dep.source.type === 'local') dirs.add(dep.source.location);
        visit(dep.dependencies);
      }
    };
    visit(chart.dependencies);
  }
  return [...dirs].filter((d) => path.isAbsolute(d)).sort();
}

export function armadaCommand(options: ArmadaCommandOptions): ArmadaCommand {
  const apply = armadaApplyArgs(options);
  if (!options.image) {
    return {
      file: options.binary ?? 'armada',
      args: apply,
      env: { ...options.env, ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) },
    };
  }
  const mounts = new Set<string>([
    path.dirname(options.manifestFile),
    ...options.valuesFiles.map((f) => path.dirname(f)),
    ...(options.localSources ?? []),
  ]);
  const args = [
    'run',
    '--rm',
    ...(options.containerName ? ['--name', options.containerName] : []),
    '--network',
    'host',
  ];
  for (const dir of [...mounts].sort()) args.push('--volume', `${dir}:${dir}:ro`);
  if (options.kubeconfig)
    args.push(
      '--volume',
      `${options.kubeconfig}:/armada/.kube/config:ro`,
      '--env',
      'KUBECONFIG=/armada/.kube/config',
    );
  args.push(options.image, 'armada', ...apply);
  return { file: options.containerEngine ?? 'docker', args, env: { ...options.env } };
}
