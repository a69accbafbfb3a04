// Diagnostics of this stage (codes E08xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const RUNTIME_CODES: CodeTable = {};
