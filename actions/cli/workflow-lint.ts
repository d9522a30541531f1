/** Offline lint of .github/workflows/*.yml and every action.yml. Filled in by the workflows work. */
export async function lintRepositoryWorkflows(_root: string): Promise<string[]> {
  return [];
}
