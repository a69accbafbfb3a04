// An ESM entry for prettier's `--plugin` option, which imports plain JavaScript: it registers tsx
// so the TypeScript sources load, then hands prettier the plugin.
//   npx prettier --plugin ./format/plugin.js examples/mnist_mlp.nn
import { register } from "tsx/esm/api";

register();
const { plugin } = await import("./plugin.ts");

export const { languages, parsers, printers } = plugin;
export default plugin;
