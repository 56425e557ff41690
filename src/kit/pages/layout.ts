/** The page frame every host page shares: branding, language, accessible structure. */
import { html, type SafeHtml } from './html.js';
import type { Locale } from '../i18n.js';

export interface Branding {
  productName: string;
  logoUrl?: string | undefined;
  primaryColor: string;
}

const STYLE = (color: string) => `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1b1f24}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}.brand{display:flex;align-items:center;gap:.6rem;margin-bottom:1.2rem;font-weight:600}
.brand img{max-height:2.2rem}label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input[type=text],input[type=password],select{width:100%;padding:.6rem .7rem;font-size:1.05rem;border:1px solid #8a94a3;border-radius:.4rem}
input:focus,select:focus,button:focus,a:focus{outline:3px solid ${color};outline-offset:2px}
button{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1.05rem;font-weight:600;color:#fff;background:${color};border:0;border-radius:.4rem;cursor:pointer}
button.link{background:none;color:${color};width:auto;padding:0;margin:0;text-decoration:underline;font-weight:400}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.methods{width:100%;border-collapse:collapse}table.methods th,table.methods td{text-align:left;padding:.3rem;vertical-align:top;border-bottom:1px solid #dde2e8}
.error{padding:.7rem .9rem;border-radius:.4rem;background:#fdecea;color:#8a1c12;border:1px solid #f3b8b1}
.notice{padding:.7rem .9rem;border-radius:.4rem;background:#eaf2fd;color:#123e7a;border:1px solid #b7cff3}
.code{font:1.6rem/1.2 ui-monospace,monospace;letter-spacing:.3rem;text-align:center}
.secret{display:inline-block;font-family:ui-monospace,monospace;overflow-wrap:anywhere;line-height:1.6;background:#f3f5f8;padding:.4rem .6rem;border-radius:.3rem}
.qr svg{width:12rem;height:12rem;display:block;margin:1rem auto}
main.wide{max-width:72rem}table.list{width:100%;border-collapse:collapse;font-size:.92rem}table.list th,table.list td{text-align:left;padding:.35rem .4rem;vertical-align:top;border-bottom:1px solid #dde2e8}
nav.console{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin-bottom:1rem;padding-bottom:.6rem;border-bottom:1px solid #dde2e8}nav.console form{margin-left:auto}
a{color:${color}}small,.muted{color:#505a67}footer{text-align:center;color:#505a67;font-size:.85rem;margin-top:1rem}
`;

/** `wide`: the admin console's tables need more than a sign-in form's width. */
export function layout(opts: { locale: Locale; title: string; branding: Branding; body: SafeHtml; lang?: Locale; wide?: boolean }): string {
  const b = opts.branding;
  return html`<!doctype html>
<html lang="${opts.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${b.productName}</title>
<style>${STYLE(b.primaryColor)}</style>
</head>
<body>
${opts.wide ? html`<main class="wide">` : html`<main>`}
<div class="brand">${b.logoUrl ? html`<img src="${b.logoUrl}" alt="">` : ''}<span>${b.productName}</span></div>
${opts.body}
</main>
<footer>${b.productName}</footer>
</body>
</html>`.value;
}
