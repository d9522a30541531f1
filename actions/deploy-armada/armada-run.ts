/** Runs the armada engine and turns Armada's log into per-release results. */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../lib/process.js';
import type { DeploymentModel } from '../lib/armada/index.js';
import { armadaCommand, localSourceDirs, type ArmadaCommandOptions } from './armada-engine.js';
import type { DeploymentReport, ReleaseResult } from './report.js';

/** `Chart keystone took action: install` (and the `Chart deploy [keystone] …` spelling of newer Armada). */
const ACTION_LINE = /Chart (?:deploy )?\[?([A-Za-z0-9_.-]+)\]? took action: (\w+)/g;

export function parseArmadaActions(output: string): Map<string, string> {
  const actions = new Map<string, string>();
  for (const match of output.matchAll(ACTION_LINE)) actions.set(match[1], match[2]);
  return actions;
}

export interface ArmadaRunOptions extends Omit<ArmadaCommandOptions, 'manifestFile' | 'localSources'> {
  model: DeploymentModel;
  rendered: string;
  workDir: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  secrets: string[];
  log(line: string): void;
}

export async function runArmada(options: ArmadaRunOptions): Promise<DeploymentReport> {
  const manifestFile = path.join(options.workDir, 'armada-manifest.yaml');
  writeFileSync(manifestFile, options.rendered, { mode: 0o600 });
  const containerName = options.image ? `taco-armada-${randomBytes(6).toString('hex')}` : undefined;
  const command = armadaCommand({
    ...options,
    manifestFile,
    localSources: localSourceDirs(options.model),
    containerName,
  });
  const started = Date.now();
  const result = await runProcess(command.file, command.args, {
    env: command.env,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    secrets: options.secrets,
    log: options.log,
    onStdout: (text) => options.log(text.replace(/\n$/, '')),
    onStderr: (text) => options.log(text.replace(/\n$/, '')),
  });
  if (containerName && (result.cancelled || result.timedOut)) {
    await removeContainer(command.file, containerName, command.env, options.log);
  }
  const actions = parseArmadaActions(`${result.stdout}\n${result.stderr}`);
  const ok = result.exitCode === 0;
  const results: ReleaseResult[] = options.model.groups.flatMap((group) =>
    group.charts.map((chart) => {
      const action = actions.get(chart.release) ?? actions.get(chart.document);
      return {
        release: chart.release,
        chart: chart.chartName,
        document: chart.document,
        namespace: chart.namespace,
        group: group.name,
        action:
          action === 'install' || action === 'upgrade' ? action : action === 'purge' ? 'reinstall' : 'none',
        status: ok && action !== 'protected' ? 'deployed' : action ? `armada: ${action}` : 'unknown',
        outcome: ok
          ? action === 'protected'
            ? 'protected'
            : 'deployed'
          : result.timedOut
            ? 'timeout'
            : result.cancelled
              ? 'cancelled'
              : 'failed',
        durationMs: Date.now() - started,
        message: ok
          ? undefined
          : `armada apply ${result.timedOut ? 'timed out' : `exited with ${result.exitCode ?? result.signal}`}`,
      } satisfies ReleaseResult;
    }),
  );
  return { results, failedGroup: ok ? undefined : 'armada apply' };
}

/**
 * Stops and removes a named Armada container. The engine's CLI was killed, but the container it
 * started keeps deploying until it is stopped (`--rm` only removes it once it exits).
 */
async function removeContainer(
  engine: string,
  name: string,
  env: Record<string, string | undefined>,
  log: (line: string) => void,
): Promise<void> {
  const result = await runProcess(engine, ['rm', '--force', name], { env, timeoutMs: 60_000 });
  // Exit 1 "no such container" is fine: it exited and --rm removed it.
  if (result.exitCode === 0) log(`Stopped and removed the Armada container ${name}`);
  else if (!/no such container|no container with name/i.test(result.stderr))
    log(`Could not remove the Armada container ${name}: ${result.stderr.trim()}`);
}
