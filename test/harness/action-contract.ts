/**
 * Static check of an action's contract: which inputs its code reads and which outputs it sets,
 * found from the TypeScript source (calls to the input readers, ctx.getInput and ctx.setOutput,
 * with names given as literals or as members of a const object / enum), to compare with action.yml.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const INPUT_READERS = new Set([
  'getInput',
  'stringInput',
  'choiceInput',
  'booleanInput',
  'integerInput',
  'durationInput',
  'listInput',
  'jsonInput',
  'yamlInput',
]);

export interface ContractUse {
  inputs: Set<string>;
  outputs: Set<string>;
  /** Calls whose name argument could not be resolved statically, as `file:line text`. */
  unresolved: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : [];
  });
}

function unwrap(node: ts.Expression): ts.Expression {
  let current = node;
  while (
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isParenthesizedExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

function literal(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

export function analyseAction(dir: string): ContractUse {
  const files = sourceFiles(dir).map((file) =>
    ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true),
  );
  // `Inputs.gateTimeout` → 'gate-timeout', from const objects and string enums in the action.
  const constants = new Map<string, string>();
  for (const sf of files) {
    const visit = (node: ts.Node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
        const init = unwrap(node.initializer);
        if (ts.isObjectLiteralExpression(init)) {
          for (const prop of init.properties) {
            if (ts.isPropertyAssignment(prop) && prop.name && !ts.isComputedPropertyName(prop.name)) {
              const value = literal(unwrap(prop.initializer));
              if (value !== undefined)
                constants.set(`${node.name.text}.${prop.name.getText(sf).replace(/['"]/g, '')}`, value);
            }
          }
        }
      }
      if (ts.isEnumDeclaration(node)) {
        for (const member of node.members) {
          const value = literal(member.initializer);
          if (value !== undefined) constants.set(`${node.name.text}.${member.name.getText(sf)}`, value);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const use: ContractUse = { inputs: new Set(), outputs: new Set(), unresolved: [] };
  const resolveDirect = (arg: ts.Expression | undefined, sf: ts.SourceFile): string | undefined => {
    if (!arg) return undefined;
    const direct = literal(arg);
    if (direct !== undefined) return direct;
    if (ts.isPropertyAccessExpression(arg) || ts.isElementAccessExpression(arg)) {
      return constants.get(arg.getText(sf).replace(/\[['"](.+?)['"]\]/g, '.$1'));
    }
    return undefined;
  };
  // A name passed through a small helper (`const list = (name) => listInput(ctx, name)`): the
  // names are the arguments of the helper's own calls.
  const callSites = (
    fnName: string,
    index: number,
  ): (readonly [ts.Expression | undefined, ts.SourceFile])[] => {
    const sites: (readonly [ts.Expression | undefined, ts.SourceFile])[] = [];
    for (const sf of files) {
      const visit = (node: ts.Node) => {
        if (
          ts.isCallExpression(node) &&
          ts.isIdentifier(node.expression) &&
          node.expression.text === fnName
        ) {
          sites.push([node.arguments[index], sf] as const);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    return sites;
  };
  const resolveAll = (arg: ts.Expression | undefined, sf: ts.SourceFile, depth = 0): string[] | undefined => {
    const direct = resolveDirect(arg, sf);
    if (direct !== undefined) return [direct];
    if (!arg || !ts.isIdentifier(arg) || depth > 2) return undefined;
    let fn: ts.Node | undefined = arg.parent;
    while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
    if (!fn || !ts.isFunctionLike(fn)) return undefined;
    const index = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === arg.text);
    if (index < 0) return undefined;
    const owner = ts.isFunctionDeclaration(fn)
      ? fn.name
      : ts.isVariableDeclaration(fn.parent)
        ? fn.parent.name
        : undefined;
    if (!owner || !ts.isIdentifier(owner)) return undefined;
    const sites = callSites(owner.text, index);
    if (sites.length === 0) return undefined;
    const names: string[] = [];
    for (const [siteArg, siteFile] of sites) {
      const resolved = resolveAll(siteArg, siteFile, depth + 1);
      if (!resolved) return undefined;
      names.push(...resolved);
    }
    return names;
  };
  for (const sf of files) {
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : '';
        const isInput = INPUT_READERS.has(name);
        const isOutput = name === 'setOutput';
        if (isInput || isOutput) {
          // Readers take (ctx, name, …); ctx.getInput and ctx.setOutput take (name, …).
          const arg = name === 'getInput' || isOutput ? node.arguments[0] : node.arguments[1];
          const resolved = resolveAll(arg, sf);
          const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
          if (resolved !== undefined) for (const n of resolved) (isInput ? use.inputs : use.outputs).add(n);
          else
            use.unresolved.push(
              `${path.relative(dir, sf.fileName)}:${line + 1} ${node.getText(sf).slice(0, 80)}`,
            );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return use;
}
