// Diagnostics of this stage (codes E07xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const DATA_CODES: CodeTable = {};
