// A page of another site (another port) tries to drive two nodes from a real browser:
//   node cross-origin.test.mjs PAGE_URL REFUSING_NODE_URL ALLOWING_NODE_URL
// From the page it sends a text/plain POST to /api/inference (no CORS pre-flight for that type), reads
// GET /api/swarm, sends a JSON POST (pre-flighted) and runs a generation over the event-bus bridge's
// WebSocket. Prints "FACT refusing.<what>=..." and "FACT allowing.<what>=..." for the Java test.
import { chromium } from 'playwright-core';

const [pageUrl, refusing, allowing] = process.argv.slice(2);
if (!allowing) {
  console.error('usage: node cross-origin.test.mjs PAGE_URL REFUSING_NODE_URL ALLOWING_NODE_URL');
  process.exit(2);
}

function fact(name, value) {
  console.log(`FACT ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

/** Runs in the page: what a page of this origin can make the node at {@code node} do. */
async function probe(node) {
  const body = JSON.stringify({ prompt: 'Once upon a time', max_tokens: 4, temperature: 0, ignore_eos: true });
  const out = {};
  try {
    await fetch(`${node}api/inference`, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body });
    out.simple_post = 'sent';
  } catch (e) {
    out.simple_post = 'network-error';
  }
  try {
    const r = await fetch(`${node}api/swarm`);
    out.swarm = `${r.status}:${(await r.json()).ready}`;
  } catch (e) {
    out.swarm = 'blocked';
  }
  try {
    const r = await fetch(`${node}api/inference`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const answer = await r.json();
    out.json_post = `${r.status}:${answer.tokens.length}:${r.headers.get('X-Request-Id') ? 'id' : 'no-id'}`;
  } catch (e) {
    out.json_post = 'blocked';
  }
  out.bridge = await new Promise((resolve) => {
    const ws = new WebSocket(`${node.replace(/^http/, 'ws')}eventbus/websocket`);
    ws.binaryType = 'arraybuffer';
    let tokens = 0;
    const timer = setTimeout(() => { resolve('no answer'); ws.close(); }, 20000);
    ws.onopen = () => {
      const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
      ws.send(JSON.stringify({ type: 'register', address: `swarm.public.tokens.${id}` }));
      ws.send(JSON.stringify({ type: 'send', address: 'swarm.public.inference', replyAddress: 'reply-1',
        body: { stream_id: id, prompt: 'Once upon a time', max_tokens: 4, temperature: 0, ignore_eos: true } }));
    };
    ws.onmessage = (event) => {
      const frame = JSON.parse(typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data));
      const b = frame.body;
      if (frame.type === 'rec' && b && b.type === 'token') tokens++;
      if (frame.type === 'rec' && b && (b.type === 'done' || b.type === 'error')) {
        clearTimeout(timer);
        resolve(b.type === 'done' ? `tokens:${tokens}` : `error:${b.error}`);
        ws.close();
      }
    };
    ws.onclose = () => { clearTimeout(timer); resolve('refused'); };
  });
  return out;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(pageUrl, { timeout: 30000 });
  fact('page_origin', await page.evaluate(() => location.origin));
  for (const [name, node] of [['refusing', refusing], ['allowing', allowing]]) {
    const out = await page.evaluate(probe, node);
    for (const [key, value] of Object.entries(out)) fact(`${name}.${key}`, value);
  }
  console.log('OK');
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
