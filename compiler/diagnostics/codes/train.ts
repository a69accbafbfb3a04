// Diagnostics of this stage (codes E06xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const TRAIN_CODES: CodeTable = {};
