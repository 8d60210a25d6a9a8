/**
 * Signing a browser in the way a person does: the console sends it to the identity provider's page,
 * where the user name is typed and Sign in pressed, and the callback brings it back with a session.
 */
import type { Page } from "playwright-core";

export async function signIn(page: Page, where: { base: string; provider: string }, path = "/console", user = "alice"): Promise<void> {
  await page.goto(`${where.base}${path}`);
  await page.waitForURL(`${where.provider}/interaction/**`);
  await page.getByLabel("User name").fill(user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${where.base}${path}`);
}
