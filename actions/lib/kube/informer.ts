import { Watch, type V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { describeApiError, sleep, backoffDelay, withRetry, type BackoffOptions } from './retry.js';

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface PodInformerOptions {
  namespace: string;
  labelSelector?: string;
  /** Called for every change, including the synthetic ones a relist after a reconnect finds. */
  onEvent?: (type: PodEventType, pod: V1Pod) => void;
  log?: (message: string) => void;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Retries of the first list (429, 5xx); later relists are retried by the reconnect loop. */
  retry?: BackoffOptions;
}

/**
 * A pod cache kept current by list + watch (an informer). When the watch drops or fails (5xx, 429,
 * 410 Gone, a closed connection) it relists and watches again with backoff, emitting the differences
 * the relist found, so that no change is lost across a reconnect.
 */
export class PodInformer {
  private readonly cache = new Map<string, V1Pod>();
  private readonly waiters = new Set<() => void>();
  private abort?: AbortController;
  private readonly stopSignal = new AbortController();
  private endWatch?: () => void;
  private stopped = false;
  private failures = 0;
  private loop?: Promise<void>;
  /** Times the watch was re-established after its first start. */
  reconnects = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: PodInformerOptions,
  ) {}

  private onConnected?: () => void;

  /** Lists, starts watching and resolves once the cache is filled and the watch is open. */
  async start(): Promise<void> {
    const resourceVersion = await withRetry(() => this.relist(), this.options.retry);
    const connected = new Promise<void>((resolve) => (this.onConnected = resolve));
    this.loop = this.run(resourceVersion);
    // A first watch that fails keeps retrying in the background; the cache is already usable.
    await Promise.race([connected, this.loop]);
  }

  pods(): V1Pod[] {
    return [...this.cache.values()];
  }

  /** Resolves when predicate(pods) is true, false when timeoutMs passes or the signal aborts first. */
  waitUntil(
    predicate: (pods: V1Pod[]) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return new Promise((resolve) => {
      if (predicate(this.pods())) return resolve(true);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const check = () => {
        if (predicate(this.pods())) finish(true);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Re-evaluates every waiter (for predicates that also read state outside the cache). */
  recheck(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    this.abort?.abort();
    // Do not wait for the aborted response stream to wind down: the loop sees `stopped` and ends.
    this.endWatch?.();
    await this.loop?.catch(() => undefined);
  }

  private log(message: string) {
    this.options.log?.(message);
  }

  private path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/pods`;
  }

  private async relist(): Promise<string> {
    const list = await this.client.core.listNamespacedPod({
      namespace: this.options.namespace,
      labelSelector: this.options.labelSelector || undefined,
    });
    const seen = new Set<string>();
    for (const pod of list.items) {
      const key = pod.metadata?.uid ?? '';
      seen.add(key);
      const old = this.cache.get(key);
      if (!old) this.apply('ADDED', pod);
      else if (old.metadata?.resourceVersion !== pod.metadata?.resourceVersion) this.apply('MODIFIED', pod);
    }
    for (const [key, pod] of this.cache) if (!seen.has(key)) this.apply('DELETED', pod);
    return list.metadata?.resourceVersion ?? '';
  }

  private apply(type: PodEventType, pod: V1Pod) {
    const key = pod.metadata?.uid ?? '';
    if (type === 'DELETED') this.cache.delete(key);
    else this.cache.set(key, pod);
    this.options.onEvent?.(type, pod);
    for (const waiter of [...this.waiters]) waiter();
  }

  private async run(initialVersion: string): Promise<void> {
    let resourceVersion = initialVersion;
    while (!this.stopped) {
      const ended = await this.watchOnce(resourceVersion, (rv) => (resourceVersion = rv));
      if (this.stopped) return;
      this.onConnected?.();
      this.failures = ended.error ? this.failures + 1 : 0;
      if (ended.error)
        this.log(
          `pod watch in ${this.options.namespace} failed (${describeApiError(ended.error)}); reconnecting`,
        );
      else this.log(`pod watch in ${this.options.namespace} closed by the server; reconnecting`);
      await sleep(
        backoffDelay(
          Math.max(1, this.failures),
          this.options.baseBackoffMs ?? 100,
          this.options.maxBackoffMs ?? 5000,
        ),
      );
      if (this.stopped) return;
      try {
        resourceVersion = await this.relist();
        this.reconnects++;
      } catch (err) {
        this.failures++;
        this.log(`relisting pods in ${this.options.namespace} failed (${describeApiError(err)}); retrying`);
        resourceVersion = '';
      }
    }
  }

  /** One watch request; resolves when it ends. An ERROR event (e.g. 410 Gone) ends it too. */
  private watchOnce(resourceVersion: string, advance: (rv: string) => void): Promise<{ error?: unknown }> {
    if (resourceVersion === '')
      return Promise.resolve({ error: new Error('no resourceVersion to watch from') });
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: { error?: unknown }) => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      this.endWatch = () => settle({});
      new Watch(this.client.config)
        .watch(
          this.path(),
          {
            resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: this.options.labelSelector || undefined,
          },
          (type, object) => {
            if (type === 'ERROR') {
              settle({
                error: Object.assign(new Error(object?.message ?? 'watch error'), { code: object?.code }),
              });
              this.abort?.abort();
              return;
            }
            const rv = object?.metadata?.resourceVersion;
            if (rv) advance(rv);
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
              this.apply(type, object as V1Pod);
          },
          (err) => settle({ error: err && !this.stopped && !isAbort(err) ? err : undefined }),
        )
        .then((controller) => {
          this.abort = controller;
          this.onConnected?.();
          if (this.stopped) controller.abort();
        })
        .catch((err: unknown) => settle({ error: err }));
    });
  }
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError';
}
