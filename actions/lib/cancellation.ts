/**
 * A cancelled GitHub job sends SIGINT to the step's process, then SIGTERM 7.5 s later; Ctrl-C in a
 * terminal sends SIGINT. Both abort the returned signal so that running work stops and children are
 * killed through runProcess, while cleanup and reporting still run.
 */
export function cancelOnSignals(log: (message: string) => void = () => undefined): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) log(`Received ${name}: cancelling; cleanup still runs.`);
    controller.abort(new Error(`cancelled by ${name}`));
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
