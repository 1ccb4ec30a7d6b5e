import { AUTH_EVENTS, countEvents, listEvents } from "../../db/repositories/auth-events.js";
import { type StaffContext, staffPage, textParam } from "../context.js";
import { html } from "../html.js";
import { when } from "../layout.js";
import { pager, pagingOf } from "../pager.js";
import { choiceParam, dayParam } from "../query.js";
import type { AdminReply } from "../reply.js";

const PAGE_SIZE = 200;

export async function auditPage(ctx: StaffContext): Promise<AdminReply> {
  const query = ctx.url.searchParams;
  const username = textParam(query, "user", 150);
  const event = choiceParam(query, "event", AUTH_EVENTS);
  const since = dayParam(query, "from");
  const until = dayParam(query, "to", true);
  const filter = {
    ...(username !== undefined ? { username } : {}),
    ...(event !== undefined ? { event } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
  const paging = pagingOf(query, PAGE_SIZE);
  const [events, matching] = await Promise.all([
    listEvents(ctx.deps.db, { ...filter, limit: paging.limit, offset: paging.offset }),
    countEvents(ctx.deps.db, filter),
  ]);
  const option = (name: string) => html`<option${name === event ? html` selected` : ""}>${name}</option>`;
  const body = html`<h1>Audit trail</h1>
<form method="get" action="/admin/audit" class="card filters">
<div><label for="user">User</label><input id="user" name="user" type="text" value="${username ?? ""}"></div>
<div><label for="event">Event</label><select id="event" name="event"><option value="">any</option>${AUTH_EVENTS.map(option)}</select></div>
<div><label for="from">From</label><input id="from" name="from" type="date" value="${query.get("from") ?? ""}"></div>
<div><label for="to">Until</label><input id="to" name="to" type="date" value="${query.get("to") ?? ""}"></div>
<div><button type="submit">Filter</button></div></form>
<p class="muted">${matching} matching, newest first.</p>
<div class="table"><table><thead><tr><th>When (UTC)</th><th>Event</th><th>User</th><th>IP</th><th>Detail</th></tr></thead><tbody>${
    events.length === 0
      ? html`<tr><td colspan="5" class="muted">No events.</td></tr>`
      : events.map(
          (row) => html`<tr><td>${when(row.occurredAt)}</td><td>${row.event}</td>
<td>${row.userId !== null ? html`<a href="/admin/users/${row.userId}">${row.username}</a>` : (row.username ?? "")}</td>
<td>${row.ip ?? ""}</td><td class="wrap"><code>${row.detail ? JSON.stringify(row.detail) : ""}</code></td></tr>`,
        )
  }</tbody></table></div>
${pager("/admin/audit", query, paging, matching)}`;
  return staffPage(ctx, "Audit trail", body);
}
