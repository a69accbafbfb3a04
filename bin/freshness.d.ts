// The types of freshness.js (plain JavaScript, so that bin/nnc.js can use it before TypeScript can
// be loaded).
export declare const SOURCE_FOLDERS: string[];
export declare const STAMP: string;
export declare function sourceTimes(root: string): Record<string, number>;
export declare function distState(root: string): "fresh" | "stale" | "missing" | "no-sources";
