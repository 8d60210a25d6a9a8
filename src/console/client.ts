/**
 * The console's only script, served as /console/assets/console.js: the files of ./browser (plain
 * JS, type-checked with the DOM's types by tsconfig.browser.json), joined in this order inside one
 * strict-mode function, so that nothing of it lands on `window`. Each file's top level is that
 * function's body: what session.js declares the later files use, and statements run in this order.
 *
 * The `?raw` imports are the files' text: wrangler bundles them as Text modules (the `[[rules]]` in
 * wrangler.toml), vite (vitest's workerd pool) reads them raw, and `vite/client` types them. No build
 * step: what is in ./browser is what browsers run.
 */
import session from "./browser/session.js?raw";
import forms from "./browser/forms.js?raw";
import blueprintEditor from "./browser/blueprint-editor.js?raw";
import runView from "./browser/run-view.js?raw";

export const CONSOLE_JS = ["(function () {", '"use strict";', session, forms, blueprintEditor, runView, "})();", ""].join("\n");
