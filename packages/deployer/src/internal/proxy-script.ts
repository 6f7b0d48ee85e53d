/**
 * The front proxy of a local deployment, as a standalone Node script. It is written next to the deployment
 * record and run from there, so a running deployment never depends on this package's files staying put
 * (a rebuild wipes dist/).
 *
 * It listens on the deployment's stable port and forwards each request to the backend port named in the
 * record at that moment. The record is replaced atomically, so a switch takes effect between two requests.
 * Request bodies are buffered, which lets a request whose backend connection is refused (the old backend
 * stopping just as the record changed) be sent again to the backend the record names now.
 *
 * Usage: node proxy.mjs RECORD_JSON PORT HOST NAME
 */
export const PROXY_SCRIPT = String.raw`import http from 'node:http';
import { readFileSync } from 'node:fs';

const [recordPath, portArg, host, name] = process.argv.slice(2);
const port = Number(portArg);
const agent = new http.Agent({ keepAlive: false });
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const MAX_BODY = 256 * 1024 * 1024;

function backendPort() {
  try {
    const rec = JSON.parse(readFileSync(recordPath, 'utf8'));
    return rec && rec.backend && Number.isInteger(rec.backend.port) ? rec.backend.port : undefined;
  } catch {
    return undefined;
  }
}

function fail(res, status, message) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', 'x-fmnist-proxy': name });
  res.end(JSON.stringify({ status: { code: status, info: message, status: 'FAILURE' } }));
}

function forward(req, res, body, attempt) {
  const target = backendPort();
  if (!target) return fail(res, 503, 'deployment ' + name + ' has no backend');
  const headers = { ...req.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  delete headers.connection;
  const up = http.request(
    { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers, agent },
    (upRes) => {
      const out = { ...upRes.headers, 'x-fmnist-proxy': name };
      delete out.connection;
      res.writeHead(upRes.statusCode || 502, out);
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    },
  );
  up.on('error', (err) => {
    if (!res.headersSent && RETRYABLE.has(err.code) && attempt < 40) {
      setTimeout(() => forward(req, res, body, attempt + 1), 50);
      return;
    }
    fail(res, 502, 'backend on port ' + target + ': ' + err.message);
  });
  up.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      fail(res, 413, 'request body too large');
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => forward(req, res, Buffer.concat(chunks), 0));
  req.on('error', () => res.destroy());
});
server.keepAliveTimeout = 5000;
server.on('error', (err) => {
  process.stderr.write('proxy: ' + err.message + '\n');
  process.exit(err.code === 'EADDRINUSE' ? 3 : 1);
});
server.listen(port, host, () => {
  process.stdout.write('proxy for ' + name + ' listening on ' + host + ':' + port + '\n');
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;
