/** `/`: the service's small status page (HTML), and the hash of its only style for the Content-Security-Policy. */
import { createHash } from 'node:crypto';
import { reasonOf, type StatusView } from './status.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The status page's only style; the CSP allows exactly this text, by its SHA-256. */
const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}';
export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`;

/** A warning when the last look at the file did not load it: the version in force is an older one. */
function reloadLine(view: StatusView): string {
  const reload = view.config.lastReload;
  if (reload === undefined || reload.successful) return '';
  return `<p><strong>The desired-state file was not reloaded</strong> (${escapeHtml(reload.at)}): ${escapeHtml(reload.problem ?? '')}. The version above stays in force.</p>\n`;
}

export function statusPage(view: StatusView): string {
  const rows = (view.lastPass?.clusters ?? [])
    .map((c) => [c.name, c.account, c.region, c.outcome, c.added + c.removed + c.changed, c.error?.code ?? '', reasonOf(c) ?? ''])
    .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`)
    .join('\n');
  const last = view.lastPass;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eks-auth-hub</title>
<style>${PAGE_STYLE}</style>
</head><body>
<h1>eks-auth-hub</h1>
<p>${escapeHtml(view.config.file)}${view.config.fileHash === undefined ? '' : ` (sha256 ${escapeHtml(view.config.fileHash.slice(0, 16))}, loaded ${escapeHtml(view.config.loadedAt ?? '')})`}: ${view.config.clusters} clusters · passes: ${view.passes} · last pass: ${escapeHtml(last?.finishedAt ?? 'none yet')} · next: ${escapeHtml(view.nextPassAt ?? '-')}</p>
${stalledHtml(view)}
${reloadLine(view)}<table><thead><tr><th>cluster</th><th>account</th><th>region</th><th>outcome</th><th>changes</th><th>error</th><th>reason</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><a href="/status">status (JSON)</a> · <a href="/metrics">metrics</a></p>
</body></html>
`;
}

/** "stalled since …" and what the pass is waiting for; empty while the service is live. */
function stalledHtml(view: StatusView): string {
  if (view.stalled === null) return '';
  const calls = view.inFlight.map((c) => `<li>${escapeHtml(`${c.operation} ${c.target} since ${c.since}`)}</li>`).join('');
  return `<p><strong>stalled since ${escapeHtml(view.stalled.since)}</strong>: ${escapeHtml(view.stalled.reason)}</p>${calls === '' ? '' : `<ul>${calls}</ul>`}`;
}
