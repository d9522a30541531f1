import { runAsAction } from '../lib/action-entry.js';
import * as action from './main.js';
await runAsAction(action);
