import { countMail, listMail } from "../../db/repositories/outbox.js";
import { retryMail } from "../../services/mail-retry.js";
import { idParam, type StaffContext, staffPage } from "../context.js";
import { html } from "../html.js";
import { postButton, when } from "../layout.js";
import { pager, pagingOf } from "../pager.js";
import { type AdminReply, redirect } from "../reply.js";

const PAGE_SIZE = 200;

export async function mailPage(ctx: StaffContext): Promise<AdminReply> {
  const query = ctx.url.searchParams;
  const paging = pagingOf(query, PAGE_SIZE);
  const [counts, mails] = await Promise.all([
    countMail(ctx.deps.db),
    listMail(ctx.deps.db, ["pending", "dead"], paging.limit, paging.offset),
  ]);
  const rows = mails.map(
    (mail) => html`<tr><td>#${mail.id}</td><td>${mail.status}</td><td>${mail.kind}</td><td class="wrap">${mail.to}</td>
<td class="wrap">${mail.subject}</td><td>${mail.attempts}</td><td>${mail.status === "pending" ? when(mail.nextAttemptAt) : "—"}</td>
<td class="wrap">${mail.lastError ?? ""}</td><td>${mail.status === "dead" ? postButton(`/admin/mail/${mail.id}/retry`, ctx.csrf, "Retry", "secondary") : ""}</td></tr>`,
  );
  const body = html`<h1>Mail outbox</h1>
<p class="muted">${counts.pending} pending, ${counts.dead} dead, ${counts.sent} sent (kept a week).</p>
${counts.dead > 0 ? html`<p>${postButton("/admin/mail/retry-all", ctx.csrf, "Retry all dead mail")}</p>` : ""}
<div class="table"><table><thead><tr><th>Id</th><th>Status</th><th>Kind</th><th>To</th><th>Subject</th><th>Attempts</th><th>Next attempt</th><th>Last error</th><th></th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="9" class="muted">Nothing pending or dead.</td></tr>`}</tbody></table></div>
${pager("/admin/mail", query, paging, counts.pending + counts.dead)}`;
  return staffPage(ctx, "Mail outbox", body);
}

export async function retryOne(ctx: StaffContext): Promise<AdminReply> {
  const count = await retryMail(ctx.deps, [idParam(ctx)], ctx.staff.username);
  return redirect("/admin/mail", count > 0 ? "mail_retried" : "nothing_retried");
}

export async function retryAll(ctx: StaffContext): Promise<AdminReply> {
  const count = await retryMail(ctx.deps, [], ctx.staff.username);
  return redirect("/admin/mail", count > 0 ? "mail_retried" : "nothing_retried");
}
