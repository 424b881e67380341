import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../helpers/build.js';
import { createUser } from '../helpers/users.js';
import { launchChromium, skipWithoutBrowser } from '../helpers/browser.js';

/**
 * A person opens /docs, presses Authorize, signs in with the OAuth2 password form and
 * calls GET /auth/me from the page. Runs in headless Chromium (Debian package).
 */
describe('Swagger UI', { skip: skipWithoutBrowser() }, () => {
  it('authorises with the OAuth2 password form and calls a protected route', async () => {
    const built = await build({ after });
    const user = await createUser(built, 'patient');
    await built.app.listen({ host: '127.0.0.1', port: 0 });
    const address = built.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const browser = await launchChromium();
    after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/docs/`);
    await page.getByRole('button', { name: 'Authorize' }).first().click();

    const dialog = page.locator('.modal-ux');
    const oauth = dialog.locator('.auth-container').filter({ hasText: 'OAuth2, password' });
    await oauth.locator('input#oauth_username').fill(user.email);
    await oauth.locator('input#oauth_password').fill(user.password);
    await oauth.locator('button.authorize').click();
    await oauth.locator('button', { hasText: 'Logout' }).waitFor({ timeout: 10_000 });
    await dialog.locator('button.close-modal').click();

    const operation = page.locator('#operations-auth-get_api_v1_auth_me');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const body = operation.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
    await body.waitFor({ timeout: 10_000 });
    const text = await body.innerText();
    assert.match(text, new RegExp(user.email.replace(/[.+]/g, '\\$&')));
  });
});
