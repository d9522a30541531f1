import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import { isInlineKubeconfig, resolveKubeconfigPath } from './kubeconfig-source.js';

/** A connection to one cluster: the parsed kubeconfig and the typed API groups built from it. */
export interface KubeClient {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** The API server URL of the current context (for logs; never contains credentials). */
  server: string;
  /** Where the kubeconfig came from, for error messages ('inline', a path). */
  source: string;
}

export interface KubeClientOptions {
  /** A kubeconfig as a path or as its YAML text; empty means `env.KUBECONFIG`, then ~/.kube/config. */
  kubeconfig?: string;
  /** Environment to read KUBECONFIG and HOME from (the caller's ctx.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base directory for a relative kubeconfig path. */
  cwd?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
}

/** Builds a client; every problem with the kubeconfig is a UserError naming where it came from. */
export function createKubeClient(options: KubeClientOptions = {}): KubeClient {
  const config = new KubeConfig();
  const given = options.kubeconfig?.trim() ?? '';
  let source: string;
  try {
    if (given && isInlineKubeconfig(given)) {
      source = 'inline kubeconfig';
      config.loadFromString(given);
    } else {
      source = resolveKubeconfigPath(given, options);
      config.loadFromFile(source);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `kubeconfig ${given && !isInlineKubeconfig(given) ? given : '(inline)'}: not a valid kubeconfig (${(err as Error).message})`,
    );
  }
  if (options.context) {
    if (!config.getContexts().some((c) => c.name === options.context)) {
      throw new UserError(
        `${source}: context ${JSON.stringify(options.context)} not found; it has ${
          config
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      );
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new UserError(
      `${source}: no current cluster (set current-context to a context whose cluster exists)`,
    );
  if (!cluster.server)
    throw new UserError(`${source}: cluster ${JSON.stringify(cluster.name)} has no server URL`);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    server: cluster.server,
    source,
  };
}
