/** A node of a printed plan: what a stage would do, without touching anything. */
export interface PlanNode {
  title: string;
  details?: string[];
  children?: PlanNode[];
}

/** An action's contribution to `taco-ci plan`: actions/<action>/plan.ts exports `plan`. */
/** An action's part of `taco-ci plan`; `cwd` is where taco-ci runs (relative paths start there). */
export type StagePlanner = (
  profile: import('./profile/load.js').Profile,
  cwd: string,
) => Promise<PlanNode> | PlanNode;

export function renderPlan(node: PlanNode, prefix = '', last = true, root = true): string {
  const lines: string[] = [];
  const branch = root ? '' : last ? '└─ ' : '├─ ';
  lines.push(`${prefix}${branch}${node.title}`);
  const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  const children = node.children ?? [];
  for (const detail of node.details ?? [])
    lines.push(`${childPrefix}${children.length ? '│  ' : '   '}${detail}`);
  children.forEach((child, i) =>
    lines.push(renderPlan(child, childPrefix, i === children.length - 1, false)),
  );
  return lines.join('\n');
}
