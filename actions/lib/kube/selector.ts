import type { V1LabelSelector } from '@kubernetes/client-node';

/** A LabelSelector as the `labelSelector` query parameter (`app=x,tier in (a,b),!canary`). */
export function selectorToString(selector: V1LabelSelector | undefined): string {
  if (!selector) return '';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    switch (expr.operator) {
      case 'In':
        parts.push(`${expr.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${expr.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(expr.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${expr.key}`);
        break;
      default:
        throw new Error(
          `Unknown label selector operator ${JSON.stringify(expr.operator)} for key ${expr.key}`,
        );
    }
  }
  return parts.join(',');
}

type Requirement = (labels: Record<string, string>) => boolean;

/** Parses the labelSelector syntax (equality- and set-based) into a predicate over labels. */
export function parseLabelSelector(text: string): (labels: Record<string, string> | undefined) => boolean {
  const requirements: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const term = part.trim();
    if (!term) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, op, list] = m;
      const values = list
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      requirements.push(
        op === 'in'
          ? (l) => key in l && values.includes(l[key])
          : (l) => !(key in l) || !values.includes(l[key]),
      );
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term))) {
      const [, key, op, value] = m;
      requirements.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([\w./-]+)$/.exec(term))) {
      const key = m[1];
      requirements.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(term))) {
      const key = m[1];
      requirements.push((l) => key in l);
    } else {
      throw new Error(`not a label selector term: ${JSON.stringify(term)}`);
    }
  }
  return (labels) => requirements.every((r) => r(labels ?? {}));
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}
