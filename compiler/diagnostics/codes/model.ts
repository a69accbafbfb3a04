// Diagnostics of this stage (codes E02-E05xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const MODEL_CODES: CodeTable = {};
