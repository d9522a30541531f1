import { runAsAction } from '../lib/action-entry.js';
import { keepYoungGenerationSmall } from '../lib/young-generation.js';
import * as action from './main.js';
keepYoungGenerationSmall();
await runAsAction(action);
