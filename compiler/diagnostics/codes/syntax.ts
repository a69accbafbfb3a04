// Diagnostics of this stage (codes E01xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const SYNTAX_CODES: CodeTable = {};
