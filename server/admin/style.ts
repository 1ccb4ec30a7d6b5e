// The console's one stylesheet, served at /admin/style.css (no CDN, no fonts).
export const STYLESHEET = `
:root{color-scheme:light;--ink:#1d2433;--muted:#5b6577;--line:#d9dee7;--bg:#f5f7fa;--accent:#2456c7;--danger:#b3261e;--ok:#1e7a43}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1d2433;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
header strong{margin-right:auto}
header a{color:#cfd8ff;text-decoration:none}
header a:hover{color:#fff}
header form{margin:0}
header button{background:none;border:1px solid #56627a;color:#fff}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
.narrow{max-width:24rem;margin:3rem auto}
.notice{background:#e7f5ec;border:1px solid #b6dfc4;color:var(--ok);padding:.6rem .8rem;border-radius:6px;margin-bottom:1rem}
.error{background:#fbeaea;border:1px solid #f0c0bd;color:var(--danger);padding:.6rem .8rem;border-radius:6px;margin-bottom:1rem}
label{display:block;font-size:.85rem;color:var(--muted);margin:.4rem 0 .15rem}
input,select,button{font:inherit;padding:.4rem .55rem;border:1px solid var(--line);border-radius:6px;background:#fff;color:inherit;max-width:100%}
input[type=text],input[type=password],input[type=search]{width:100%}
button{cursor:pointer;background:var(--accent);border-color:var(--accent);color:#fff}
button.secondary{background:#fff;color:var(--ink);border-color:var(--line)}
a.button{display:inline-block;padding:.4rem .55rem;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--ink);text-decoration:none}
a.button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
button.danger{background:var(--danger);border-color:var(--danger)}
.wide{grid-column:1/-1}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.2rem .8rem;align-items:end}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
.actions form{margin:0}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;word-break:break-word}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0;word-break:break-word}
.tag{display:inline-block;font-size:.75rem;padding:.05rem .4rem;border-radius:999px;background:#e8ecf4}
.tag.no{background:#fbeaea;color:var(--danger)}
.pager{display:flex;gap:1rem;align-items:center;margin-top:.8rem}
.muted{color:var(--muted)}
code{font-size:.85em}
@media (max-width:600px){main{padding:.6rem}th,td{padding:.35rem .4rem}.card{padding:.7rem}}
`;
