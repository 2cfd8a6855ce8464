// The web UI against a node with API keys, in headless Chromium: node web-ui-key.test.mjs URL KEY
// Opened without a key, the page says plainly that the node needs one (401) and asks for it; a wrong key
// is said to be refused; with the key typed in, it connects and streams an answer. Then the bridge's
// socket drops and a prompt is sent at once, while it reconnects: the prompt must not be lost.
// Prints "FACT name=value" lines for the Java test; exits 1 on the first failed expectation.
import { chromium } from 'playwright-core';

// A third argument "insecure" accepts the node's self-signed HTTPS certificate.
const [url, key, insecure] = process.argv.slice(2);
if (!key) {
  console.error('usage: node web-ui-key.test.mjs URL KEY [insecure]');
  process.exit(2);
}
const STEP_MS = 30000;

function fact(name, value) {
  console.log(`FACT ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

async function ask(page, prompt) {
  const before = await page.$$eval('#transcript .message.assistant', (all) => all.length);
  await page.fill('#prompt', prompt);
  await page.click('#send');
  await page.waitForFunction((n) => {
    const answers = document.querySelectorAll('#transcript .message.assistant');
    return answers.length > n && answers[answers.length - 1].dataset.finish;
  }, before, { timeout: STEP_MS });
  return page.$eval('#transcript .message.assistant:last-of-type', (m) => ({
    finish: m.dataset.finish, tokens: Number(m.dataset.tokens || 0), meta: m.querySelector('.meta').textContent,
  }));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: insecure === 'insecure' });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(`${url}#api_key=not-the-right-key`, { timeout: STEP_MS });
  await page.waitForSelector('#key-form:not([hidden])', { timeout: STEP_MS });
  fact('wrong_key_message', (await page.textContent('#auth-message')).trim());

  await page.evaluate(() => sessionStorage.clear());
  await page.goto(url, { timeout: STEP_MS });
  await page.reload();
  await page.waitForSelector('#key-form:not([hidden])', { timeout: STEP_MS });
  fact('no_key_message', (await page.textContent('#auth-message')).trim());
  fact('no_key_connection', (await page.textContent('#connection')).trim());

  await page.fill('#api-key', key);
  await page.click('#use-key');
  await page.waitForSelector('#connection.on', { timeout: STEP_MS });
  fact('key_form_hidden', await page.$eval('#key-form', (f) => f.hidden));
  await page.uncheck('#chat-format');
  await page.check('#ignore-eos');
  await page.fill('#max-tokens', '6');
  const first = await ask(page, 'Once upon a time');
  fact('keyed_finish', first.finish);
  fact('keyed_tokens', first.tokens);

  // Drop the bridge's socket and send at once, before it reconnects.
  await page.evaluate(() => bus.socket.close());
  await page.waitForSelector('#connection.off', { timeout: STEP_MS });
  const during = await ask(page, 'Once upon a time');
  fact('reconnect_finish', during.finish);
  fact('reconnect_tokens', during.tokens);
  fact('reconnect_meta', during.meta);
  fact('send_enabled_after', !(await page.isDisabled('#send')));
  fact('page_protocol', await page.evaluate(() => location.protocol));
  fact('bridge_url', await page.evaluate(() => bus.url.replace(/\?.*/, '')));
  fact('page_errors', pageErrors.length);
  console.log('OK');
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
