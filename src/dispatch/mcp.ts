/**
 * The entry of agency's MCP server (dist/dispatch/mcp.cjs), as a session's `.mcp.json` starts it:
 * `node mcp.cjs <node socket> <session> <token>`.
 */
import { serveStdio } from './mcp-server.js';

/** agency's version, put in by the build */
declare const AGENCY_VERSION: string | undefined;

const [socket, session, token] = process.argv.slice(2);
if (!socket || !session || !token) {
  process.stderr.write(
    'agency mcp: started without its node socket, session and token; a session the node runs has them in its .mcp.json\n',
  );
  process.exit(2);
}
serveStdio({ socket, session, token }, typeof AGENCY_VERSION === 'string' ? AGENCY_VERSION : 'dev').catch(
  (e: Error) => {
    process.stderr.write(`agency mcp: ${e.message}\n`);
    process.exit(1);
  },
);
