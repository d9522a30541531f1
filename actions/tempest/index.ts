import { runAsAction } from '../lib/action-entry.js';
import { skipOptimizingCompiler } from '../lib/v8-tiers.js';
import { keepYoungGenerationSmall } from '../lib/young-generation.js';
import * as action from './main.js';
keepYoungGenerationSmall();
skipOptimizingCompiler();
await runAsAction(action);
