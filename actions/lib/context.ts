/**
 * The one seam between action logic and the outside world. Action code receives an ActionContext
 * and never writes runner commands itself: GitHubContext sends everything to the runner, TerminalContext
 * (taco-ci) to the terminal.
 */

/** Where an annotation points: a file and, optionally, a line/column range in it. */
export interface AnnotationLocation {
  file?: string;
  title?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

export type OutputValue = string | number | boolean | object;

export interface ActionContext {
  /** Raw value of an input as the runner hands it over; '' when unset. Use the typed readers in inputs.ts. */
  getInput(name: string): string;
  setOutput(name: string, value: OutputValue): void;
  /** Registers a value that must never appear in logs. Call it before the value can be printed. */
  setSecret(value: string): void;
  /** Appends Markdown to the job summary. */
  appendSummary(markdown: string): Promise<void>;

  debug(message: string): void;
  info(message: string): void;
  notice(message: string, location?: AnnotationLocation): void;
  warning(message: string, location?: AnnotationLocation): void;
  error(message: string, location?: AnnotationLocation): void;
  /** Runs fn inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;

  /** State handed from the main step to the post step. */
  saveState(name: string, value: string): void;
  getState(name: string): string;

  /** Environment the action sees (process.env for the runner, a copy for the CLI). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the job is cancelled (SIGINT/SIGTERM): stop starting work, clean up, report. */
  readonly signal: AbortSignal;
  /** Directory for temporary files (RUNNER_TEMP or a CLI temp dir). */
  readonly tempDir: string;
  /** The workspace the action works in (GITHUB_WORKSPACE or the CLI's current directory). */
  readonly workspace: string;
  /** True when debug logging is on (ACTIONS_STEP_DEBUG / --verbose). */
  readonly isDebug: boolean;
}

/** An action's entry points. `post` runs as the action's post step (cleanup), also after cancel. */
export interface ActionModule {
  /** The input names its action.yml declares (values; keys are the code's names for them). */
  readonly Inputs: Readonly<Record<string, string>>;
  run(ctx: ActionContext): Promise<void>;
  post?(ctx: ActionContext): Promise<void>;
}
