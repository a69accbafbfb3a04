// `npm run demo`: builds the page (build.ts) and serves examples/web/dist/ at http://localhost:8080/
// (PORT=… for another port), until Ctrl-C.

import { buildDemo } from "./build.ts";
import { serveFolder } from "./static-server.ts";

const { folder } = await buildDemo();
const { url } = await serveFolder(folder, Number(process.env.PORT ?? 8080));
console.log(`serving the demo at ${url} (Ctrl-C stops it); a browser without WebGPU trains on nnc's CPU runtime`);
