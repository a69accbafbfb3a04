// Golden diagnostics: each case's printed diagnostics must equal its expected.txt. Run
// `npm run update-snapshots` (UPDATE_SNAPSHOTS=1) to rewrite them after an intended change, and
// read the diff.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { goldenCases, render } from "./cases.ts";
import { ERRORS_DOC, renderErrorsDoc } from "./errors-doc.ts";

const update = process.env.UPDATE_SNAPSHOTS === "1";

describe("golden diagnostics", () => {
  // docs/ERRORS.md shows one case per code, so it is regenerated with the cases.
  afterAll(() => {
    if (update) writeFileSync(ERRORS_DOC, renderErrorsDoc());
  });

  for (const c of goldenCases()) {
    it(c.name, () => {
      const actual = render(c);
      if (update || !existsSync(c.expectedPath)) {
        writeFileSync(c.expectedPath, actual);
        if (!update) throw new Error(`${c.name}: no expected.txt yet; wrote one, check it and run again`);
        return;
      }
      expect(actual).toBe(readFileSync(c.expectedPath, "utf8"));
    });
  }
});
