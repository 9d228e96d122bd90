// Starts Parley as it ships (java -jar target/parley.jar) on a free port with a fresh data directory, so the
// embedded PostgreSQL, Redis and provider simulator come up as for a newcomer, demo included.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createHmac } from 'node:crypto';
import { mkdtempSync, createWriteStream, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO = {
  channelId: '00000000-0000-4000-8000-00000000d001',
  phoneNumberId: '100000000000001',
  appSecret: 'parley-demo-app-secret',
  admin: { email: 'admin@parley.local', password: 'parley-demo-password' },
  agent: { email: 'agent@parley.local', password: 'parley-demo-agent' },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startParley(log) {
  const jar = join(ROOT, 'target', 'parley.jar');
  if (!existsSync(jar)) {
    throw new Error('target/parley.jar is missing: run mvn -q -DskipTests package first (browser-tests/run does)');
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
  const child = spawn('java', ['-Xmx768m', '-jar', jar], {
    cwd: ROOT,
    env: { ...process.env, PARLEY_HTTP_PORT: String(port), PARLEY_DATA_DIR: dataDir, PARLEY_DEMO_ENABLED: 'true',
      PARLEY_SIMULATOR_ENABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(log);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Parley exited with ${child.exitCode}; see ${log}`);
    }
    try {
      const response = await fetch(`${base}/health/ready`);
      if (response.ok) {
        break;
      }
    } catch (ignored) {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`Parley did not become ready within 120 s; see ${log}`);
  }
  return {
    base,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 20_000);
        child.on('exit', () => { clearTimeout(timer); resolve(); });
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The REST API as a script uses it. */
export function client(base) {
  return {
    async login(who) {
      const response = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who),
      });
      if (!response.ok) {
        throw new Error(`login ${response.status}: ${await response.text()}`);
      }
      return (await response.json()).access_token;
    },
    async call(method, path, token, body) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : null };
    },
    /** A real, signed WhatsApp webhook: a customer's text with the given provider time (seconds). */
    async customerWebhook({ waId, name, text, timestamp }) {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550001001', phone_number_id: DEMO.phoneNumberId },
          contacts: [{ profile: { name }, wa_id: waId }],
          messages: [{ from: waId, id: `wamid.browser.${Date.now()}.${Math.random().toString(36).slice(2)}`,
            timestamp: String(timestamp), type: 'text', text: { body: text } }],
        } }] }],
      });
      const signature = 'sha256=' + createHmac('sha256', DEMO.appSecret).update(body).digest('hex');
      const response = await fetch(`${base}/webhooks/whatsapp/${DEMO.channelId}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature }, body,
      });
      if (!response.ok) {
        throw new Error(`webhook ${response.status}: ${await response.text()}`);
      }
    },
  };
}
