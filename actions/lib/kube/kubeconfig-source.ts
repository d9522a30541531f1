/**
 * Where a kubeconfig comes from (inline text, a path, KUBECONFIG, ~/.kube/config). Shared by the
 * full Kubernetes client and the small REST client, and free of @kubernetes/client-node so that an
 * action importing it does not carry the client.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';

/** True when the value is kubeconfig text rather than a path. */
export function isInlineKubeconfig(value: string): boolean {
  return (
    value.includes('\n') ||
    /^\s*(apiVersion|kind|clusters)\s*:/.test(value) ||
    value.trimStart().startsWith('{')
  );
}

export interface KubeconfigLookup {
  /** Environment to read KUBECONFIG and HOME from (the caller's ctx.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base directory for a relative kubeconfig path. */
  cwd?: string;
}

/** The kubeconfig file to use: the given path, else the first existing KUBECONFIG entry, else ~/.kube/config. */
export function resolveKubeconfigPath(given: string, options: KubeconfigLookup): string {
  const env = options.env ?? {};
  const candidates = given
    ? [path.resolve(options.cwd ?? process.cwd(), given)]
    : [
        ...(env.KUBECONFIG?.split(path.delimiter).filter(Boolean) ?? []),
        path.join(env.HOME ?? os.homedir(), '.kube', 'config'),
      ];
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new UserError(
      given
        ? `kubeconfig file ${candidates[0]} does not exist`
        : `No kubeconfig given and none found (looked at ${candidates.join(', ')}): set the kubeconfig input`,
    );
  }
  // Fail on an unreadable file here with its name rather than deep inside the client.
  readFileSync(found, 'utf8');
  return found;
}
