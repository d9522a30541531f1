#!/usr/bin/env node
// taco-ci runs the actions' TypeScript directly (through tsx), so a local run always uses the
// same run() code as the action, as it is in the working tree.
import { register } from 'tsx/esm/api';

register();
await import('../actions/cli/main.ts');
