/**
 * The console's one stylesheet. Mobile first: one column, tables scroll sideways inside their own box;
 * from 48rem the forms sit in a row. Every state colour comes with the state's name as text, and
 * focus is always visible.
 */
export const CONSOLE_CSS = String.raw`
:root{--fg:#1d2330;--muted:#5b6475;--bg:#f6f7f9;--card:#fff;--line:#d5d9e0;--accent:#1f5fbf;--focus:#f0a000;
--ok:#1e7d3a;--ok-bg:#d8f2df;--err:#b3261e;--err-bg:#fbdcd9;--run:#6a3db8;--run-bg:#e9defa;--sch:#1f5fbf;--sch-bg:#dbe7fb;
--new:#4b5563;--new-bg:#eceef1;--chg:#8a5a00;--chg-bg:#fbeccb;font-size:16px}
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#17202f;color:#fff}
.top a{color:#fff;text-decoration:none}
.top nav{display:flex;gap:1rem;flex-wrap:wrap}
.top nav a{padding:.35rem .1rem;border-bottom:3px solid transparent}
.top nav a[aria-current=page]{border-bottom-color:#7fb0ff}
.brand{font-weight:700}.brand .org{font-weight:400;opacity:.8;margin-left:.3rem}
.who{margin-left:auto;display:flex;gap:.6rem;align-items:center}
.who button{background:transparent;color:#fff;border-color:#8b95a7}
main{max-width:72rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem;word-break:break-word}
h2{font-size:1.2rem;margin:1.75rem 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
h4{font-size:1rem;margin:0 0 .3rem}
section{margin-bottom:1rem}
.trail ol{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem;padding:0;margin:0;color:var(--muted);font-size:.9rem}
.trail li+li::before{content:"/";margin-right:.3rem}
.meta,.muted{color:var(--muted)}
.empty{color:var(--muted);font-style:italic}
.flash{background:var(--ok-bg);border-left:4px solid var(--ok);padding:.5rem .75rem}
.error{background:var(--err-bg);border-left:4px solid var(--err);padding:.5rem .75rem;white-space:pre-wrap}
[hidden]{display:none!important}
label{display:block;font-weight:600;margin-bottom:.2rem}
.check{display:flex;gap:.5rem;align-items:center}.check label{font-weight:400;margin:0}
input,select,textarea{font:inherit;padding:.45rem .55rem;border:1px solid #8a93a3;border-radius:4px;background:#fff;color:inherit;max-width:100%}
input[type=checkbox]{width:1.2rem;height:1.2rem}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.45rem .9rem;border-radius:4px;border:1px solid var(--accent);
background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;min-height:2.5rem}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--err);border-color:var(--err)}
button[disabled]{opacity:.6;cursor:progress}
.buttons{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
form.inline p,form.filters p{margin:.4rem 0}
form.filters{margin-bottom:1rem}
form.stacked textarea,form.stacked input{width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
details.add{margin-bottom:.75rem}details.add summary{cursor:pointer;font-weight:600;color:var(--accent)}
table.events td:first-child{white-space:nowrap}
@media (min-width:48rem){form.inline,form.filters{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:flex-end}}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:#eef0f4;font-size:.9rem}
caption{caption-side:bottom;text-align:left;color:var(--muted);font-size:.85rem;padding:.4rem .6rem}
tbody tr:last-child>*{border-bottom:0}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid currentColor}
.st-ok{color:var(--ok);background:var(--ok-bg)}
.st-error{color:var(--err);background:var(--err-bg)}
.st-running,.st-pending{color:var(--run);background:var(--run-bg)}
.st-scheduled{color:var(--sch);background:var(--sch-bg)}
.st-changed{color:var(--chg);background:var(--chg-bg)}
.st-new,.st-disabled,.st-cancelled{color:var(--new);background:var(--new-bg)}
td.cell{font-weight:600;font-size:.9rem;white-space:nowrap}
td.none{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f1f2f5 4px,#f1f2f5 8px)}
.errors{font-weight:400}
ul.plain{list-style:none;padding:0}
ul.plain>li{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem;margin-bottom:.5rem}
ul.plain>li.with-button{display:flex;gap:.5rem 1rem;align-items:flex-start;justify-content:space-between}
li.with-button>details{flex:1;min-width:0}
ul.links{list-style:none;padding:0;margin:0}
dl.pairs{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.3rem 1rem;background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:.75rem}
dl.pairs dt{font-weight:600}dl.pairs dd{margin:0;word-break:break-word}
pre{background:#10151f;color:#e6e9ef;padding:.6rem .75rem;border-radius:6px;overflow:auto;max-height:24rem;font-size:.85rem;margin:.3rem 0}
.editor{display:flex;border:1px solid #8a93a3;border-radius:4px;background:#fff;overflow:hidden}
.editor .gutter{margin:0;border-radius:0;background:#eef0f4;color:var(--muted);text-align:right;padding:.45rem .4rem;min-width:2.6rem;
max-height:none;overflow:hidden;user-select:none;line-height:1.45;font:0.9rem/1.45 ui-monospace,Menlo,Consolas,monospace}
.editor .gutter mark{background:var(--err);color:#fff;display:inline-block;width:calc(100% + .8rem);margin:0 -.4rem;padding:0 .4rem}
.editor textarea{flex:1;border:0;border-radius:0;resize:vertical;min-height:18rem;white-space:pre;overflow:auto;
font:0.9rem/1.45 ui-monospace,Menlo,Consolas,monospace;padding:.45rem .55rem}
.editor textarea:focus-visible{outline:3px solid var(--focus);outline-offset:-3px}
.check-result{margin:.4rem 0;min-height:1.5rem}
.check-result.valid{color:var(--ok)}
.check-result.invalid{background:var(--err-bg);border-left:4px solid var(--err);padding:.45rem .6rem}
.check-result .where{font-weight:700}
.graph{padding:.25rem;margin:.75rem 0}
.graph svg{display:block}
.step-label{font-size:12px;fill:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.05em}
.edge{fill:none;stroke:#9aa3b2;stroke-width:1.5}
.arrowhead{fill:#9aa3b2}
.node rect{stroke-width:2;fill:var(--new-bg);stroke:var(--new)}
.node text{font-size:13px;fill:var(--fg)}
.node .node-service{font-weight:700}
.node.st-ok rect{fill:var(--ok-bg);stroke:var(--ok)}
.node.st-error rect{fill:var(--err-bg);stroke:var(--err)}
.node.st-running rect{fill:var(--run-bg);stroke:var(--run);stroke-dasharray:6 3;animation:march 1s linear infinite}
.node.st-cancelled rect{fill:#fff;stroke-dasharray:2 3}
.node:focus-visible rect,.node:hover rect{stroke:var(--focus);stroke-width:3}
@keyframes march{to{stroke-dashoffset:-18}}
@media (prefers-reduced-motion:reduce){.node.st-running rect{animation:none}}
.more rect{fill:#fff;stroke:var(--line);stroke-width:2;stroke-dasharray:4 3}
.more text{font-size:13px;font-weight:600;fill:var(--accent)}
.more:focus-visible rect,.more:hover rect{stroke:var(--focus);stroke-width:3}
details.step{background:var(--card);border:1px solid var(--line);border-radius:6px;margin-bottom:.6rem}
details.step>summary{cursor:pointer;padding:.5rem .75rem}
ul.jobs{list-style:none;margin:0;padding:0 .75rem .25rem}
ul.jobs>li{border-top:1px solid var(--line)}
.job-detail>summary{cursor:pointer;padding:.35rem 0;word-break:break-word}
.job-body{padding-bottom:.5rem}
.job-detail:target>summary{outline:3px solid var(--focus);outline-offset:2px}
.run-errors{background:var(--err-bg);border-left:4px solid var(--err);padding:.25rem .75rem}
body.notice main{max-width:36rem;margin:3rem auto}
@media (max-width:30rem){main{padding:.75rem}h1{font-size:1.35rem}.who{margin-left:0}th,td{padding:.4rem}}
`;
