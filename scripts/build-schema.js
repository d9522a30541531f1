#!/usr/bin/env node
// Assembles profiles/schema.json from profiles/schema/_base.json, _defs.json and one file per
// profile section in profiles/schema/sections/. `--check` fails when the committed file is stale.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'profiles', 'schema');
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));

export function assembleSchema() {
  const schema = read(path.join(dir, '_base.json'));
  const defs = read(path.join(dir, '_defs.json'));
  const sectionsDir = path.join(dir, 'sections');
  for (const file of readdirSync(sectionsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const { $defs: sectionDefs = {}, ...section } = read(path.join(sectionsDir, file));
    for (const [name, def] of Object.entries(sectionDefs)) {
      if (name in defs) throw new Error(`${file}: $defs.${name} is already defined elsewhere`);
      defs[name] = def;
    }
    schema.properties[path.basename(file, '.json')] = section;
  }
  schema.$defs = defs;
  return `${JSON.stringify(schema, null, 2)}\n`;
}

const target = path.join(root, 'profiles', 'schema.json');
const text = assembleSchema();
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error('profiles/schema.json is out of date: run `npm run schema` and commit it.');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
