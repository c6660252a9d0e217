/**
 * git's smart HTTP on 127.0.0.1 for tests: `git http-backend` (the CGI program git ships) behind a Node
 * HTTP server that asks for Basic credentials, so a test can tell whether a token given in a URL reached
 * the server, and where else it went.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttp {
  /** http://127.0.0.1:PORT/ — append a repository's path under root */
  url: string;
  /** what each request carried: whether its credentials were the right ones */
  requests: { path: string; authorized: boolean | null }[];
  close(): Promise<void>;
}

export async function gitHttpServer(root: string, auth: { username: string; password: string }): Promise<GitHttp> {
  const requests: GitHttp['requests'] = [];
  const want = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const given = req.headers.authorization;
    requests.push({ path: u.pathname, authorized: given === undefined ? null : given === want });
    if (given !== want) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('authentication required\n');
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_HTTP_RECEIVE_PACK: 'true',
        REMOTE_USER: auth.username,
        REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headerDone = false;
    cgi.stdout.on('data', (d: Buffer) => {
      if (headerDone) return void res.write(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [k, ...v] = line.split(':');
        const value = v.join(':').trim();
        if (k!.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(k!, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
    cgi.stderr.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
