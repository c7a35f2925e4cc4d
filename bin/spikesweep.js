#!/usr/bin/env node
// Entry of the `spikesweep` command: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/main.ts');
