/**
 * kubeconfig exec credential plugins (client.authentication.k8s.io v1 / v1beta1), as kubectl runs
 * them: the command with its args and env, KUBERNETES_EXEC_INFO describing the request, stdout an
 * ExecCredential whose status holds a token or a client certificate and key.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../errors.js';

export interface ExecConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
  provideClusterInfo: boolean;
}

export interface ExecCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** status.expirationTimestamp (ms since the epoch): ask the plugin again from then on. */
  expiresAtMs?: number;
}

const EXEC_TIMEOUT_MS = 60_000;

export function parseExecConfig(value: unknown, base: string, where: string): ExecConfig {
  const exec = (value ?? {}) as Record<string, unknown>;
  if (typeof exec.command !== 'string' || !exec.command) throw new UserError(`${where}: command is not set`);
  if (exec.interactiveMode === 'Always')
    throw new UserError(`${where}: interactiveMode Always needs a terminal, which a CI job does not have`);
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(exec.env) ? (exec.env as { name?: unknown; value?: unknown }[]) : [])
    if (typeof entry?.name === 'string') env[entry.name] = String(entry.value ?? '');
  return {
    // kubectl resolves a command with a path separator against the kubeconfig's folder, a bare name on PATH.
    command: exec.command.includes('/') ? path.resolve(base, exec.command) : exec.command,
    args: Array.isArray(exec.args) ? exec.args.map(String) : [],
    env,
    apiVersion: typeof exec.apiVersion === 'string' ? exec.apiVersion : 'client.authentication.k8s.io/v1',
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

/** Runs the plugin once. Its stderr goes nowhere near the message: plugins may print secrets there. */
export async function runExecCredential(
  exec: ExecConfig,
  options: {
    env: Readonly<Record<string, string | undefined>>;
    cluster: Record<string, unknown>;
    signal?: AbortSignal;
  },
): Promise<ExecCredential> {
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo ? { cluster: clusterInfo(options.cluster) } : {}),
    },
  };
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      exec.command,
      exec.args,
      {
        env: { ...options.env, ...exec.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
        timeout: EXEC_TIMEOUT_MS,
        maxBuffer: 1024 * 1024,
        signal: options.signal,
      },
      (err, out) =>
        err
          ? reject(
              new Error(
                `kubeconfig exec plugin ${path.basename(exec.command)} failed: ${describeExecFailure(err)}`,
              ),
            )
          : resolve(out),
    );
  });
  return parseExecOutput(stdout, path.basename(exec.command));
}

function describeExecFailure(err: Error & { code?: unknown; killed?: boolean }): string {
  if (err.code === 'ENOENT') return 'command not found';
  if (err.killed) return `no answer within ${EXEC_TIMEOUT_MS / 1000} s`;
  return typeof err.code === 'number'
    ? `exit code ${err.code}`
    : String(err.code ?? err.message.split('\n')[0]);
}

function parseExecOutput(stdout: string, name: string): ExecCredential {
  let status: Record<string, unknown> | undefined;
  try {
    status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status;
  } catch {
    throw new Error(`kubeconfig exec plugin ${name} did not print an ExecCredential (JSON) on stdout`);
  }
  const expires =
    typeof status?.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : NaN;
  const expiry = Number.isNaN(expires) ? {} : { expiresAtMs: expires };
  if (typeof status?.token === 'string' && status.token) return { token: status.token, ...expiry };
  if (typeof status?.clientCertificateData === 'string' && typeof status.clientKeyData === 'string')
    return {
      cert: Buffer.from(status.clientCertificateData),
      key: Buffer.from(status.clientKeyData),
      ...expiry,
    };
  throw new Error(
    `kubeconfig exec plugin ${name}: its ExecCredential has neither status.token nor a client certificate and key`,
  );
}

/** The cluster as the ExecCredential spec names it (camelCase, the CA as base64 data). */
function clusterInfo(cluster: Record<string, unknown>): Record<string, unknown> {
  return {
    server: cluster.server,
    ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { insecureSkipTLSVerify: true } : {}),
    ...(cluster['certificate-authority-data']
      ? { certificateAuthorityData: cluster['certificate-authority-data'] }
      : {}),
    ...(cluster.extensions ? { config: cluster.extensions } : {}),
  };
}
