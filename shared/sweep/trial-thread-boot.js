// Entry of a trial thread. Node 20 does not apply `--import tsx` from a Worker's execArgv to
// the thread's own module loading, so the thread registers the tsx loader itself (as
// bin/spikesweep.js does) and then loads the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./trial-thread.ts');
