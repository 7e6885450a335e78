// End-to-end test of the compliance officer console in headless Chromium.
//
// Run by example-anchor/tests/console_browser.rs against a real example-anchor (it creates the
// officer and the case, then checks the outcome through the admin JSON API); it can also be run
// by hand against any running console, see docs/console-testing.md.
//
// Environment:
//   CONSOLE_URL           the console's root, e.g. http://127.0.0.1:8001/admin/
//   OFFICER_USERNAME      an active officer's username
//   OFFICER_PASSWORD      their password
//   OFFICER_NAME          their display name (the audit trail must name them)
//   CASE_ID               an open case, cleared as a false positive by this script
//   OTHER_CASE_ID         optional: another open case, which must stay in the queue
//   CLEAR_REASON          optional: the reason typed for the decision
//   SCREENSHOT_DIR        where the PNGs go (created if missing)
//   CHROMIUM              optional: the browser binary (default /usr/bin/chromium)
//
// Every step prints `ok - <step>`; the first broken step prints `FAILED at step "<step>"` with
// the reason, the page's address and text, saves `failure.png`, and exits with status 1.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };
const STEP_TIMEOUT_MS = 15_000;
const WHOLE_RUN_TIMEOUT_MS = 180_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`console.mjs: the environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const consoleUrl = required('CONSOLE_URL');
const username = required('OFFICER_USERNAME');
const password = required('OFFICER_PASSWORD');
const officerName = required('OFFICER_NAME');
const caseId = required('CASE_ID');
const screenshotDir = required('SCREENSHOT_DIR');
const otherCaseId = process.env.OTHER_CASE_ID || '';
const reason = process.env.CLEAR_REASON || 'Different date of birth and nationality';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

/** An absolute address on the console's host for a path such as `/admin/cases`. */
const at = (path) => new URL(path, consoleUrl).href;
const pathOf = (url) => new URL(url).pathname;

mkdirSync(screenshotDir, { recursive: true });

class StepFailure extends Error {}
const fail = (message) => {
  throw new StepFailure(message);
};

const warnings = [];
let browser;
let page;
let current = 'start the browser';
let notes = [];

/** A detail of the current step, printed under its `ok` line. */
const note = (message) => notes.push(message);

async function step(name, body) {
  current = name;
  notes = [];
  await body();
  console.log(`ok - ${name}`);
  for (const message of notes) console.log(`     ${message}`);
}

async function screenshot(file) {
  const path = join(screenshotDir, file);
  await page.screenshot({ path, fullPage: true });
  note(`screenshot ${path}`);
}

/** Fails unless the page is the sign-in form. */
async function expectLoginPage(context) {
  const form = page.locator('#username');
  try {
    await form.waitFor({ state: 'visible' });
  } catch {
    fail(`${context}: expected the sign-in page (an input #username), got ${page.url()}`);
  }
  for (const selector of ['#password']) {
    if (!(await page.locator(selector).isVisible())) fail(`${context}: the sign-in page has no visible ${selector}`);
  }
  if ((await page.getByRole('button', { name: 'Sign in' }).count()) === 0) {
    fail(`${context}: the sign-in page has no button named "Sign in"`);
  }
}

/** Fails unless the page is rendered in standards mode: a doctype that is not the first thing of
 * the document (one inside `<head>`, say) makes `document.compatMode` "BackCompat" (quirks). */
async function expectStandardsMode(context) {
  const mode = await page.evaluate(() => document.compatMode);
  if (mode !== 'CSS1Compat') fail(`${context}: document.compatMode is ${JSON.stringify(mode)} (quirks mode), expected "CSS1Compat"`);
}

/** The focused element, for the keyboard check. */
async function focused() {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { id: '', button: '', label: '<body>' };
    const tag = element.tagName.toLowerCase();
    const text = (element.textContent || element.value || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    const isButton = tag === 'button' || ['submit', 'button'].includes(element.getAttribute('type'));
    const id = element.id ? `#${element.id}` : '';
    return { id, button: isButton ? text : '', label: `<${tag}${id}>${text ? ` ${text}` : ''}` };
  });
}

async function run() {
  browser = await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
  const context = await browser.newContext({ viewport: WIDE });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS * 2);
  page = await context.newPage();

  // Things that are not a broken step but should be looked at: script errors, HTTP errors,
  // and requests leaving the machine (the console must work on a closed network).
  const consoleHost = new URL(consoleUrl).host;
  page.on('pageerror', (error) => warnings.push(`script error on ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    // A failed resource is reported below with its address.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      warnings.push(`console error on ${page.url()}: ${message.text()}`);
    }
  });
  page.on('response', async (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    let sent = '';
    if (request.method() !== 'GET') {
      // What the server's origin check saw.
      const headers = await request.allHeaders().catch(() => ({}));
      sent = ` (the browser sent Origin: ${headers.origin}, Sec-Fetch-Site: ${headers['sec-fetch-site']})`;
    }
    warnings.push(`HTTP ${response.status()} for ${request.method()} ${response.url()}${sent}`);
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (/^https?:$/.test(url.protocol) && url.host !== consoleHost) {
      warnings.push(`request to another host: ${request.url()}`);
    }
  });
  // A confirmation dialog before a decision is fine: accept it, and say so.
  page.on('dialog', async (dialog) => {
    note(`dialog (${dialog.type()}): ${dialog.message()} -> accepted`);
    await dialog.accept();
  });

  await step('without a session, /admin/ shows the sign-in page', async () => {
    const response = await page.goto(consoleUrl);
    if (!response) fail(`no response for ${consoleUrl}`);
    await expectLoginPage(`GET ${consoleUrl} without a session`);
    await expectStandardsMode('the sign-in page');
    await screenshot('login.png');
    if (pathOf(page.url()) === pathOf(consoleUrl)) {
      warnings.push(`the sign-in page is served at ${page.url()} itself, not by a redirect`);
    }
  });

  await step('keyboard: Tab reaches #username, then #password, then "Sign in"', async () => {
    // From the start of the page (or from an autofocused field), the first few Tabs.
    const order = [];
    const start = await focused();
    if (start.label !== '<body>') order.push(start);
    for (let n = 0; n < 12; n += 1) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    const trail = order.map((element) => element.label).join(' -> ');
    const user = order.findIndex((element) => element.id === '#username');
    if (user < 0) fail(`Tab from the page start never reached #username: ${trail}`);
    if (order[user + 1]?.id !== '#password') fail(`after #username, Tab went to ${order[user + 1]?.label}: ${trail}`);
    // A "show password" toggle or "remember me" box may sit between the field and the button.
    const button = order.slice(user + 2, user + 5).findIndex((element) => /^sign in$/i.test(element.button));
    if (button < 0) fail(`within three Tabs of #password, focus never reached the "Sign in" button: ${trail}`);
    const path = order.slice(0, user + 3 + button).map((element) => element.label);
    note(`focus order: ${path.join(' -> ')}`);
  });

  await step('sign in; the overview (h1 "Overview")', async () => {
    await page.goto(consoleUrl);
    await expectLoginPage('before signing in');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const heading = page.locator('h1').filter({ hasText: /^\s*Overview\s*$/ });
    const refusal = page.locator('.error, [role="alert"]');
    // Whichever comes first: the overview, or a refusal (no need to wait out the timeout).
    await heading.first().or(refusal.first()).waitFor({ state: 'visible' }).catch(() => {});
    if (!(await heading.first().isVisible())) {
      const messages = (await refusal.allTextContents()).map((text) => text.trim());
      fail(`after "Sign in" expected an h1 "Overview" on ${page.url()}; messages on the page: ${JSON.stringify(messages)}`);
    }
    await expectStandardsMode('the overview');
    await screenshot('overview.png');
  });

  await step('the nav link "Cases" opens the queue with the case', async () => {
    const inNav = page.locator('nav a[href="/admin/cases"]');
    const link = (await inNav.count()) > 0 ? inNav.first() : page.locator('a[href="/admin/cases"]').first();
    if ((await link.count()) === 0) fail('no link a[href="/admin/cases"] on the overview');
    await link.click();
    await page.waitForURL((url) => url.pathname === '/admin/cases');
    const queue = page.locator('table#case-queue');
    try {
      await queue.waitFor({ state: 'visible' });
    } catch {
      fail(`no visible table#case-queue on ${page.url()}`);
    }
    const rows = await queue.locator('tr[data-case-id]').evaluateAll((trs) => trs.map((tr) => tr.dataset.caseId));
    if (!rows.includes(caseId)) fail(`table#case-queue has no tr[data-case-id="${caseId}"]; its rows: ${JSON.stringify(rows)}`);
    if (otherCaseId && !rows.includes(otherCaseId)) fail(`table#case-queue has no row for the other open case ${otherCaseId}`);
    await expectStandardsMode('the case queue');
  });

  await step(`open case ${caseId} from its row`, async () => {
    const link = page.locator(`table#case-queue tr[data-case-id="${caseId}"] a[href="/admin/cases/${caseId}"]`);
    if ((await link.count()) === 0) fail(`the row of case ${caseId} has no link a[href="/admin/cases/${caseId}"]`);
    await link.first().click();
    await page.waitForURL((url) => url.pathname === `/admin/cases/${caseId}`);
    const heading = page.locator('h1', { hasText: `Case ${caseId}` });
    try {
      await heading.first().waitFor({ state: 'visible' });
    } catch {
      fail(`expected an h1 containing "Case ${caseId}", found ${JSON.stringify(await page.locator('h1').allTextContents())}`);
    }
    await expectStandardsMode(`case ${caseId}`);
    await screenshot('case.png');
  });

  await step('clear it as a false positive, with a reason', async () => {
    const form = page.locator('form#clear-case');
    if ((await form.count()) === 0) fail('no form#clear-case on the case page');
    const textarea = form.locator('#clear-reason');
    if ((await textarea.count()) === 0) fail('form#clear-case has no #clear-reason');
    await textarea.fill(reason);
    const button = form.getByRole('button', { name: 'Clear as false positive' });
    if ((await button.count()) === 0) fail('form#clear-case has no button named "Clear as false positive"');
    await button.click();
    const flash = page.locator('.flash', { hasText: /cleared/i });
    try {
      await flash.first().waitFor({ state: 'visible' });
    } catch {
      const messages = await page.locator('.flash').allTextContents();
      fail(`after the decision expected a .flash containing "cleared" on ${page.url()}; .flash messages: ${JSON.stringify(messages)}`);
    }
    note(`flash: ${(await flash.first().textContent()).trim()}`);
  });

  await step('the queue no longer lists the cleared case', async () => {
    await page.goto(at('/admin/cases'));
    const queue = page.locator('table#case-queue');
    if (otherCaseId) {
      try {
        await queue.locator(`tr[data-case-id="${otherCaseId}"]`).waitFor({ state: 'visible' });
      } catch {
        fail(`table#case-queue does not show the other open case ${otherCaseId} on ${page.url()}`);
      }
    }
    const left = await page.locator(`table#case-queue tr[data-case-id="${caseId}"]`).count();
    if (left > 0) fail(`table#case-queue still has tr[data-case-id="${caseId}"] after it was cleared`);
  });

  await step('the audit trail names the decision, its reason and the officer; the chain is intact', async () => {
    await page.goto(at('/admin/audit'));
    const table = page.locator('table#audit-records');
    try {
      await table.waitFor({ state: 'visible' });
    } catch {
      fail(`no visible table#audit-records on ${page.url()}`);
    }
    const decisions = table.locator('tr[data-kind="case_decision"]');
    const texts = (await decisions.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
    if (texts.length === 0) fail('table#audit-records has no tr[data-kind="case_decision"]');
    const match = texts.find((text) => text.includes(reason) && text.includes(officerName));
    if (!match) {
      fail(`no case_decision row contains both the reason ${JSON.stringify(reason)} and ${JSON.stringify(officerName)}; rows: ${JSON.stringify(texts)}`);
    }
    const status = page.locator('#chain-status');
    if ((await status.count()) === 0) fail('no #chain-status on the audit page');
    const verdict = (await status.first().textContent()).replace(/\s+/g, ' ').trim();
    if (!/intact/i.test(verdict)) fail(`#chain-status reads ${JSON.stringify(verdict)}, expected "intact"`);
    note(`chain status: ${verdict}`);
    await expectStandardsMode('the audit trail');
    await screenshot('audit.png');
  });

  await step('an unknown page under /admin/ is a 404 page in standards mode', async () => {
    const response = await page.goto(at('/admin/no-such-page'));
    if (!response) fail('no response for /admin/no-such-page');
    if (response.status() !== 404) fail(`GET /admin/no-such-page answered ${response.status()}, expected 404`);
    await expectStandardsMode('the 404 page');
    // The 404 is expected here, not a warning.
    const expected = `HTTP 404 for GET ${at('/admin/no-such-page')}`;
    const index = warnings.indexOf(expected);
    if (index >= 0) warnings.splice(index, 1);
  });

  await step('the overview at a narrow viewport (390x844)', async () => {
    await page.setViewportSize(NARROW);
    await page.goto(consoleUrl);
    await page.locator('h1').filter({ hasText: /^\s*Overview\s*$/ }).first().waitFor({ state: 'visible' });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > NARROW.width + 1) {
      warnings.push(`at ${NARROW.width}px wide the overview scrolls sideways (document ${width}px wide)`);
    }
    await screenshot('overview-narrow.png');
    await page.setViewportSize(WIDE);
  });

  let cookies = [];
  await step('sign out; back on the sign-in page', async () => {
    cookies = await page.context().cookies();
    const button = page.getByRole('button', { name: 'Sign out' });
    if ((await button.count()) === 0) fail(`no button named "Sign out" on ${page.url()}`);
    await button.first().click();
    await expectLoginPage('after "Sign out"');
    await expectStandardsMode('the sign-in page after sign-out');
  });

  await step('after sign-out, /admin/cases sends the browser to the sign-in page', async () => {
    await page.goto(at('/admin/cases'));
    await expectLoginPage('GET /admin/cases after sign-out');
    if ((await page.locator('table#case-queue').count()) > 0) fail('the case queue is shown after sign-out');
    if (pathOf(page.url()) === '/admin/cases') warnings.push('/admin/cases shows the sign-in form without redirecting');
  });

  await step('the signed-out session cookie no longer opens the console', async () => {
    // The cookies as they were before "Sign out": the server must have ended the session, not
    // only asked the browser to forget it.
    await page.context().clearCookies();
    await page.context().addCookies(cookies);
    await page.goto(at('/admin/cases'));
    await expectLoginPage('GET /admin/cases with the signed-out session cookie');
    if ((await page.locator('table#case-queue').count()) > 0) fail('the old session cookie still opens the case queue');
  });
}

const watchdog = setTimeout(() => {
  console.error(`FAILED at step "${current}": the whole run took longer than ${WHOLE_RUN_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, WHOLE_RUN_TIMEOUT_MS);

let status = 0;
try {
  await run();
  console.log('console browser test: all steps passed');
} catch (error) {
  status = 1;
  const why = error instanceof StepFailure ? error.message : error.stack || String(error);
  console.error(`FAILED at step "${current}": ${why}`);
  if (page) {
    console.error(`  page: ${page.url()}`);
    try {
      const text = (await page.locator('body').innerText({ timeout: 2_000 })).replace(/\s+/g, ' ').trim();
      console.error(`  page text: ${text.slice(0, 1_500)}`);
      const path = join(screenshotDir, 'failure.png');
      await page.screenshot({ path, fullPage: true, timeout: 5_000 });
      console.error(`  screenshot: ${path}`);
    } catch (detail) {
      console.error(`  (could not read the page: ${detail.message})`);
    }
  }
} finally {
  for (const warning of warnings) console.error(`WARNING: ${warning}`);
  if (browser) await browser.close().catch(() => {});
  clearTimeout(watchdog);
}
process.exit(status);
