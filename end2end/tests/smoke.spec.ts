import { test, expect } from '@playwright/test';

test('a page without islands loads no code; a page with one hydrates it', async ({ page }) => {
  const code: string[] = [];
  page.on('request', (request) => {
    if (/\.(wasm|js)$/.test(new URL(request.url()).pathname)) code.push(request.url());
  });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Gatehouse' })).toBeVisible();
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(code).toEqual([]);

  await page.goto('/custom/sign-in');
  await expect(page.locator('leptos-island [data-hydrated]')).toHaveAttribute('data-hydrated', 'true');
  expect(code.some((url) => url.endsWith('.wasm'))).toBe(true);
});

test('the health endpoint answers', async ({ request }) => {
  const res = await request.get('/healthz');
  expect(res.status()).toBe(200);
});

test('assets are content-hashed, compressed and cached for a year; pages are revalidated', async ({ page }) => {
  const assets: { url: string; headers: Record<string, string> }[] = [];
  page.on('response', async (response) => {
    if (response.url().includes('/pkg/')) {
      assets.push({ url: response.url(), headers: await response.allHeaders() });
    }
  });
  const response = await page.goto('/sign-in');
  expect(response?.headers()['cache-control']).toBe('no-store');
  await page.goto('/custom/sign-in');
  await expect(page.locator('leptos-island [data-hydrated]')).toHaveAttribute('data-hydrated', 'true');
  const wasm = assets.find((asset) => asset.url.endsWith('.wasm'));
  expect(wasm?.url).toMatch(/\/pkg\/gatehouse\.[A-Za-z0-9_-]+\.wasm$/);
  expect(wasm?.headers['content-encoding']).toBe('br');
  for (const asset of assets) {
    expect(asset.headers['cache-control'], asset.url).toBe('public, max-age=31536000, immutable');
  }
  const home = await page.goto('/');
  expect(home?.headers()['cache-control']).toBe('no-cache');
});
