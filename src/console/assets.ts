/**
 * The console's stylesheet and script, served from the Worker itself (no asset pipeline): their URLs
 * carry a version made from their text, so browsers may cache them for a long time.
 */
import { CONSOLE_JS } from "./client.ts";
import { PAGES_CSS } from "./pages-style.ts";
import { CONSOLE_CSS } from "./style.ts";
import resumeJs from "./browser/resume.js?raw";
import signInJs from "./browser/sign-in.js?raw";

/** FNV-1a over the text: a cache key, not a security measure. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

export const ASSET_VERSION = fnv1a(CONSOLE_CSS + CONSOLE_JS + PAGES_CSS + resumeJs + signInJs);

export const ASSETS: Record<string, { type: string; body: string }> = {
  "console.css": { type: "text/css; charset=utf-8", body: CONSOLE_CSS },
  "console.js": { type: "text/javascript; charset=utf-8", body: CONSOLE_JS },
  // The pages around signing in (src/routes/sign-in-page.ts, src/auth/sign-in-purpose.ts).
  "pages.css": { type: "text/css; charset=utf-8", body: PAGES_CSS },
  "resume.js": { type: "text/javascript; charset=utf-8", body: resumeJs },
  "sign-in.js": { type: "text/javascript; charset=utf-8", body: signInJs },
};
