import { test, expect } from '@playwright/test';

test('the home page renders and hydrates', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Gatehouse' })).toBeVisible();
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
});

test('the health endpoint answers', async ({ request }) => {
  const res = await request.get('/healthz');
  expect(res.status()).toBe(200);
});
