/**
 * The sandbox in a real browser (Debian's chromium driven by playwright-core): type a command,
 * click Release on the card, see it reach Released; open the Home tab and follow a link from it
 * to a card; Update Version on a blue-green card through its modal. Keeps screenshots in
 * test/artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { describeNeeding } from '../support/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test/artifacts';
const prefix = uniquePrefix('browser');
let box: Sandbox;
let browser: Browser;

describeNeeding('chromium', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium fonts-noto-color-emoji)`, 'the sandbox page in chromium', () => {
  beforeAll(async () => {
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, SIM_LATENCY_MS: '200', CARD_COALESCE_MS: '100', SIM_FAIL_COMPONENTS: 'broken' }, pino({ level: 'silent' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await box?.stop();
    await cleanupPrefix(testRedisUrl(), prefix);
  });

  it('creates a task from the composer, releases it from the card, and shows it Released', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(box.url);
    await expect(page.getByText('Switchyard sandbox', { exact: false }).first().isVisible()).resolves.toBe(true);

    await page.getByTestId('composer').fill('/release create demo deploy --env staging web=registry.local/web:1.0 api=registry.local/api:1.0');
    await page.getByTestId('composer').press('Enter');
    const ephemeral = page.getByTestId('ephemeral').filter({ hasText: 'Created release task' });
    await ephemeral.waitFor({ timeout: 10_000 });
    expect(await ephemeral.textContent()).toContain('Only visible to you');

    const card = page.getByTestId('message').filter({ hasText: 'demo' }).last();
    await card.locator('button[data-action-id="release.start"]').click({ timeout: 10_000 });
    await card.getByText('Released 2/2', { exact: false }).first().waitFor({ timeout: 20_000 });
    await card.getByText('Released in', { exact: false }).first().waitFor({ timeout: 10_000 });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-released.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('opens the Home tab: the view the bot publishes, with a link that leads to the card', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(box.url);
    // A failure for the Home to list.
    await page.getByTestId('composer').fill('/release create oops deploy --env staging broken=registry.local/broken:2.0');
    await page.getByTestId('composer').press('Enter');
    const card = page.getByTestId('message').filter({ hasText: 'oops' }).last();
    await card.locator('button[data-action-id="release.start"]').click({ timeout: 10_000 });
    await card.getByText('Release failed', { exact: false }).first().waitFor({ timeout: 20_000 });
    // The channel's name, not its ID, and the time of each message.
    expect(await page.getByTestId('channel-tab').textContent()).toBe('# releases');
    expect((await card.locator('.msg-time').first().textContent())?.trim()).toMatch(/\d{1,2}:\d{2}/);

    await page.getByTestId('home-tab').click();
    const home = page.getByTestId('home-view');
    await home.getByText('Recent failures', { exact: false }).waitFor({ timeout: 10_000 });
    await home.getByText('Approvals waiting for you', { exact: false }).waitFor();
    await home.getByText('Nothing is waiting for your approval.').waitFor();
    const failure = home.locator('a', { hasText: 'oops' });
    await failure.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('timeline').isVisible()).toBe(false);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-home.png`, fullPage: true });

    // The link is the card's permalink: here it brings the channel back with the card in view.
    await failure.click();
    await page.getByTestId('timeline').waitFor({ state: 'visible' });
    await expect(card.isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-home-link.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('Update Version on a blue-green card: the modal, a bad image answered in it, then the card moves to Paused', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(box.url);
    await page.getByTestId('composer').fill('/bluegreen create shop --env staging --workload shop --image registry.local/shop:1.0');
    await page.getByTestId('composer').press('Enter');

    const card = page.getByTestId('message').filter({ hasText: 'Release object' }).filter({ hasText: 'shop' }).last();
    const update = card.locator('button[data-action-id="bluegreen.update-version"]');
    await update.waitFor({ timeout: 20_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page, not the card element: an edit landing now replaces the card's element.
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-bluegreen-healthy.png`, fullPage: true });
    await update.click();
    const modal = page.getByTestId('modal');
    await modal.waitFor({ timeout: 10_000 });
    expect(await modal.getByRole('heading').first().textContent()).toBe('Update Version');
    const input = modal.locator('input[data-block-id="image"]');
    expect(await input.inputValue()).toBe('registry.local/shop:1.0');

    // A bad image: the bot answers with response_action errors, shown under the input; the modal stays.
    await input.fill('registry.local/shop');
    await modal.getByTestId('modal-submit').click();
    const fieldError = modal.locator('[data-error-for="image"]');
    await fieldError.getByText('has no tag', { exact: false }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-update-version-modal.png`, fullPage: true });

    await input.fill('registry.local/shop:2.0');
    await modal.getByTestId('modal-submit').click();
    await modal.waitFor({ state: 'detached', timeout: 10_000 });
    await card.locator('button[data-action-id="bluegreen.release"]').waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toContain('registry.local/shop:2.0');
    await page.screenshot({ path: `${ARTIFACTS}/sandbox-update-version-paused.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
