/**
 * Waits `ms`. Cancellation has one meaning everywhere: a wait the job's signal aborts rejects with
 * the signal's reason at once, so that no caller does more work after a cancel by mistake. A
 * caller that wants to stop quietly catches it (`.catch(() => undefined)`) and checks the signal.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
