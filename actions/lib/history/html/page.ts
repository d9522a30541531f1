/**
 * The page shell: inline CSS, an inline search script, and a Content-Security-Policy that forbids
 * every request, so the site works from file:// and can never fetch anything.
 */
import { esc } from './markup.js';

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--skip:#6e7781;--warn:#9a6700}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:0 16px 48px}
header{border-bottom:1px solid var(--line);margin-bottom:12px}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
a{color:#0550ae}
a:focus,input:focus{outline:3px solid #0969da;outline-offset:1px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid var(--line)}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}
.num{text-align:right}
tbody th{white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.st{white-space:nowrap;font-weight:600}
.st-passed,.st-complete{color:var(--ok)}.st-failed{color:var(--bad)}.st-partial{color:var(--warn)}.st-skipped,.st-unknown{color:var(--skip)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.card h3{margin:4px 0}
.chart svg{max-width:100%;height:auto;overflow:visible}
.chart .grid{stroke:#eaeef2}.chart .tick{font-size:10px;fill:var(--muted)}.chart .mark{font-size:10px;fill:var(--bad)}
.s-passed{fill:#2da44e}.s-failed{fill:var(--bad)}.s-skipped{fill:#afb8c1}.s-recovery{fill:#0969da}.s-kills{fill:#8250df}
.hatch-bg{fill:#ffd8d3}.hatch-line{stroke:var(--bad)}.dots-bg{fill:#eaeef2}.dots-line{fill:var(--skip)}
.legend{list-style:none;display:inline-flex;gap:12px;padding:0;margin:0 0 0 12px}
.muted{color:var(--muted)}
.pager{display:flex;gap:16px}
input[type=search]{font:inherit;padding:4px 8px;width:min(480px,100%)}
details>summary{cursor:pointer}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

/** Filters the rows marked data-search by every word typed (a digest by its first 12 hex digits); says how many are shown. */
const SEARCH = `
(function(){
  var input=document.getElementById('search');if(!input)return;
  var rows=[].slice.call(document.querySelectorAll('tr[data-search]'));
  var out=document.getElementById('search-count');
  function apply(){
    var words=input.value.toLowerCase().split(/\\s+/).filter(Boolean).map(function(w){var d=/^(?:sha256:)?([0-9a-f]{12})[0-9a-f]*$/.exec(w);return d?d[1]:w}),shown=0;
    rows.forEach(function(r){var hit=words.every(function(w){return r.getAttribute('data-search').indexOf(w)>=0});r.hidden=!hit;if(hit)shown++});
    out.textContent=shown+' of '+rows.length+' candidates shown';
  }
  input.addEventListener('input',apply);
  var q=/[?&]q=([^&]*)/.exec(location.search);if(q){input.value=decodeURIComponent(q[1].replace(/\\+/g,' '))}
  apply();
})();
`;

export interface NavItem {
  href: string;
  text: string;
}

export function page(
  title: string,
  nav: readonly NavItem[],
  body: string,
  options: { search?: boolean } = {},
): string {
  const links = nav.map((n) => `<li><a href="${esc(n.href)}">${esc(n.text)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><nav aria-label="Dashboard pages"><ul>${links}</ul></nav></header>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
${options.search ? `<script>${SEARCH}</script>` : ''}
</body>
</html>
`;
}
