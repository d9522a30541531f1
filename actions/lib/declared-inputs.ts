/**
 * An input name the action.yml does not declare is a typo that silently drops a setting (a
 * misspelt `gate` runs with no gate). Each action's `Inputs` object names exactly the declared
 * inputs (test/action-contract.test.ts holds it to its action.yml), so the bundle carries the list.
 */
import { closest } from './closest.js';
import { UserError } from './errors.js';

export type DeclaredInputs = Readonly<Record<string, string>>;

function hint(name: string, declared: readonly string[]): string {
  const near = closest(name, declared);
  return near ? ` (did you mean "${near}"?)` : '';
}

/** Refuses (exit 2) the first given input name that the action does not declare. */
export function refuseUndeclaredInputs(action: string, given: string[], inputs: DeclaredInputs): void {
  const declared = Object.values(inputs);
  const unknown = given.filter((name) => !declared.includes(name.toLowerCase()));
  if (unknown.length === 0) return;
  const problems = unknown.map((name) => `"${name}"${hint(name, declared)}`);
  throw new UserError(
    `${action} declares no input ${problems.join(', no input ')}. Its inputs: ${[...declared].sort().join(', ')}`,
  );
}

/** The runner's variable for an input: INPUT_ and the name upper-cased, spaces as underscores. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** A warning for each INPUT_* variable that names no declared input. */
export function undeclaredInputWarnings(
  env: Readonly<Record<string, string | undefined>>,
  inputs: DeclaredInputs,
): string[] {
  const byVariable = new Map(Object.values(inputs).map((name) => [inputVariable(name), name]));
  const declared = [...byVariable.keys()];
  return Object.keys(env)
    .filter((key) => key.startsWith('INPUT_') && !byVariable.has(key))
    .sort()
    .map((key) => {
      const near = closest(key, declared);
      const suggestion = near ? ` (did you mean "${byVariable.get(near)}"?)` : '';
      return `${key} is set, but this action declares no such input: it is ignored${suggestion}`;
    });
}
