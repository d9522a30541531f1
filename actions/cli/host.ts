/** What taco-ci's commands take from the process they run in: read once, by main(), and passed down. */
export interface CliHost {
  /** Where taco-ci was started: relative paths on the command line start here. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}
