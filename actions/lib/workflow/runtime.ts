/** What every step of a local workflow run shares, and what one step gets and gives back. */

export interface Runtime {
  /** The taco/actions checkout whose actions and bundles run (`actions/checkout` of taco/actions copies it). */
  actionsRoot: string;
  /** The caller's repository (`actions/checkout` of github.repository copies it); none = such a checkout fails. */
  callerRepo?: string;
  /** One folder per uploaded artifact. */
  artifactsDir: string;
  /** Node for `using: node24` actions. */
  node: string;
  /** The environment every step starts from (PATH, HOME, …). */
  baseEnv: Record<string, string | undefined>;
  /** Values blanked in the log: the secrets, and what a step masks with ::add-mask::. */
  masks: string[];
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The runner-side state of one job (one matrix combination) that a step runs in. */
export interface StepPlace {
  label: string;
  workspace: string;
  temp: string;
  /** Folder for this step's file-command files. */
  filesDir: string;
  /** The job's summary, each step's GITHUB_STEP_SUMMARY appended. */
  summaryFile: string;
  /** The complete process environment of the step (runner vars, env contexts, GITHUB_ENV exports). */
  env: Record<string, string | undefined>;
  timeoutMs?: number;
}

export interface StepResult {
  outcome: 'success' | 'failure';
  outputs: Record<string, string>;
  /** GITHUB_ENV and GITHUB_PATH additions for the steps after it. */
  env: Record<string, string>;
  paths: string[];
  /** Why it failed, in one line. */
  error?: string;
  /** An action's post step, run when the job ends. */
  post?: () => Promise<StepResult>;
}

export function failed(error: string): StepResult {
  return { outcome: 'failure', outputs: {}, env: {}, paths: [], error };
}

/** Splits process output into lines for the log, keeping a partial line until it ends. */
export function lineLogger(log: (line: string) => void, prefix: string) {
  let pending = '';
  return {
    write(text: string) {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) log(`${prefix}${line}`);
    },
    flush() {
      if (pending) log(`${prefix}${pending}`);
      pending = '';
    },
  };
}
