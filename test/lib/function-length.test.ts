/**
 * Issue 19: the longest function in actions/ is under 80 lines. Every function-like node with a
 * body (declarations, methods, arrows, function expressions, accessors, constructors) is measured
 * from its first token to its closing brace with the TypeScript compiler's own parser, as
 * .tmp/longest.mjs does; nested functions count in their parent too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';

const MAX_LINES = 80;

interface FunctionLength {
  /** `actions/lib/rally/run.ts:164 runRallyTask` */
  where: string;
  lines: number;
}

function functionName(node: ts.SignatureDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '<anonymous>';
}

/** The length in lines of every function in one source text. */
export function functionLengths(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      found.push({ where: `${file}:${first + 1} ${functionName(node)}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(dir, name))
    .sort();
}

describe('function length', () => {
  it('measures a function from its first line to its closing brace, nested ones too', () => {
    const body = Array.from({ length: 80 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const lengths = functionLengths(
      'example.ts',
      `export function long() {\n${body}\n  const inner = () => {\n    return 1;\n  };\n}\nclass A {\n  short() {\n    return 2;\n  }\n}\n`,
    );
    expect(lengths).toEqual([
      { where: 'example.ts:1 long', lines: 85 },
      { where: 'example.ts:82 inner', lines: 3 },
      { where: 'example.ts:87 short', lines: 3 },
    ]);
  });

  it(`every function in actions/ is under ${MAX_LINES} lines`, () => {
    const files = typeScriptFiles(path.join(repoRoot, 'actions'));
    expect(files.length).toBeGreaterThan(50);
    const tooLong = files
      .flatMap((file) => functionLengths(path.relative(repoRoot, file), readFileSync(file, 'utf8')))
      .filter((f) => f.lines >= MAX_LINES)
      .sort((a, b) => b.lines - a.lines)
      .map((f) => `${f.lines} lines: ${f.where}`);
    expect(tooLong).toEqual([]);
  });
});
