/** The stylesheet of the pages around signing in (/auth/resume, the progress page, messages). */
export const PAGES_CSS = String.raw`
body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
ol{list-style:none;padding:0}
li::before{content:"… ";color:#9a6700}
li.done::before,li:has(~ li)::before{content:"✓ ";color:#1a7f37}
li.fail::before,li:has(+ li.fail)::before{content:"✗ ";color:#cf222e}
button,a{font:inherit}
`;
