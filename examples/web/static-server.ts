// A static file server of a few lines on Node's own http module, for the demo page (serve.ts) and
// the browser tests: the page is files, and WebGPU needs a secure context, which localhost is.

import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export interface StaticServer {
  url: string; // http://localhost:PORT/
  close(): Promise<void>;
}

// Serves the files under `folder` (GET and HEAD; `/` is index.html). Port 0 takes a free port.
export function serveFolder(folder: string, port: number, host = "localhost"): Promise<StaticServer> {
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = normalize(join(folder, path.endsWith("/") ? `${path}index.html` : path));
    let size: number | null = null;
    try {
      if (file.startsWith(folder + sep) && (request.method === "GET" || request.method === "HEAD")) size = statSync(file).isFile() ? statSync(file).size : null;
    } catch {
      size = null;
    }
    if (size === null) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": size, "cache-control": "no-cache" });
    if (request.method === "HEAD") response.end();
    else createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      resolve({ url: `http://${host}:${actual}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
