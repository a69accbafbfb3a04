import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The torchrun smoke test runs on its own after the rest (npm test's second vitest run).
    exclude: process.env.NNC_DDP_TEST ? [] : ["test/export/ddp.test.ts", "**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
