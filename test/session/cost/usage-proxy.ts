/**
 * A loopback proxy in front of the scripted Messages API that adds prompt-cache usage to its replies
 * (the scripted API always reports zero cache tokens), so a real-CLI test can check how cache writes
 * and reads are priced. Everything else passes through unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CacheUsage {
  cacheRead: number;
  cache5m: number;
  cache1h: number;
}

export interface UsageProxy {
  url: string;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function withCache(usage: unknown, c: CacheUsage): Obj {
  return {
    ...(isObj(usage) ? usage : {}),
    cache_read_input_tokens: c.cacheRead,
    cache_creation_input_tokens: c.cache5m + c.cache1h,
    cache_creation: { ephemeral_5m_input_tokens: c.cache5m, ephemeral_1h_input_tokens: c.cache1h },
  };
}

/** Rewrites the usage of a streamed reply's message_start event, or of a non-streamed message. */
function rewrite(body: string, contentType: string, cacheFor: (messageId: string) => CacheUsage): string {
  if (contentType.includes('text/event-stream')) {
    return body
      .split('\n')
      .map((line) => {
        if (!line.startsWith('data: ')) return line;
        const event: unknown = JSON.parse(line.slice(6));
        if (!isObj(event) || event.type !== 'message_start' || !isObj(event.message)) return line;
        const message = event.message;
        return (
          'data: ' +
          JSON.stringify({
            ...event,
            message: { ...message, usage: withCache(message.usage, cacheFor(String(message.id))) },
          })
        );
      })
      .join('\n');
  }
  if (contentType.includes('application/json')) {
    const message: unknown = JSON.parse(body);
    if (isObj(message) && message.type === 'message') {
      return JSON.stringify({ ...message, usage: withCache(message.usage, cacheFor(String(message.id))) });
    }
  }
  return body;
}

export async function startUsageProxy(
  upstream: string,
  cacheFor: (messageId: string) => CacheUsage,
): Promise<UsageProxy> {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upRes) => {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            const type = String(upRes.headers['content-type'] ?? '');
            const out = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8'), type, cacheFor));
            const headers = { ...upRes.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(upRes.statusCode ?? 502, { ...headers, 'content-length': out.length });
            res.end(out);
          });
        },
      );
      up.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`usage proxy: upstream ${upstream} failed: ${e.message}`);
      });
      up.end(Buffer.concat(parts));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
