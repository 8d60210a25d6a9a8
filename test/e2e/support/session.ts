/**
 * Signing a browser in the way a person does: the console sends it to the identity provider's page,
 * where the name is typed and Authorize pressed, and the callback brings it back with a session.
 */
import type { Page } from "playwright-core";

export async function signIn(page: Page, where: { base: string; provider: string }, path = "/console", user = "alice"): Promise<void> {
  await page.goto(`${where.base}${path}`);
  await page.waitForURL(`${where.provider}/authorize?**`);
  await page.getByLabel("User name").fill(user);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForURL(`${where.base}${path}`);
}
