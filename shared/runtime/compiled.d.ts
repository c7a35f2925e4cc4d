/** Types of compiled.js (plain JavaScript so that bin/spikesweep.js can load it without a loader). */
export declare const ROOT: string;
export declare const DIST: string;
export declare const STAMP: string;
/** True when dist/ holds a build at least as new as every TypeScript source. */
export declare function compiledIsFresh(): boolean;
/** node arguments that run a TypeScript entry (relative to the root): compiled when fresh, else via tsx. */
export declare function entryArgs(tsPath: string): string[];
