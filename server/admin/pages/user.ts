import { listEvents } from "../../db/repositories/auth-events.js";
import { countPasskeys } from "../../db/repositories/passkeys.js";
import { listLiveSessions } from "../../db/repositories/sessions.js";
import { pageTasks } from "../../db/repositories/tasks.js";
import { findTotp } from "../../db/repositories/totp.js";
import { findUserById, type User } from "../../db/repositories/users.js";
import { AppError, texts } from "../../errors.js";
import { TOTP_ENROLMENT_SECONDS } from "../../services/mfa/second-factor.js";
import { idParam, type StaffContext, staffPage } from "../context.js";
import { html } from "../html.js";
import { postButton, when, yesNo } from "../layout.js";
import type { AdminReply } from "../reply.js";

const TASKS_SHOWN = 20;
const EVENTS_SHOWN = 10;

export async function userOf(ctx: StaffContext): Promise<User> {
  const user = await findUserById(ctx.deps.db, idParam(ctx));
  if (!user) throw new AppError("not_found", texts.notFound);
  return user;
}

export async function userPage(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  const { db } = ctx.deps;
  const [totp, passkeys, sessions, tasks, events] = await Promise.all([
    findTotp(db, user.id, TOTP_ENROLMENT_SECONDS),
    countPasskeys(db, user.id),
    listLiveSessions(db, user.id),
    pageTasks(db, { userId: user.id }, {}, ["-created_at"], TASKS_SHOWN, 0),
    listEvents(db, { username: user.username, limit: EVENTS_SHOWN }),
  ]);
  const base = `/admin/users/${user.id}`;
  const button = (action: string, label: string, kind = "secondary") =>
    postButton(`${base}/${action}`, ctx.csrf, label, kind);
  const superuser = ctx.staff.isSuperuser;
  const body = html`<p><a href="/admin/users">← Users</a></p><h1>${user.username}</h1>
<section class="card"><dl>
<dt>Id</dt><dd>${user.id}</dd><dt>Email</dt><dd>${user.email || "—"}</dd>
<dt>Name</dt><dd>${`${user.firstName} ${user.lastName}`.trim() || "—"}</dd>
<dt>Active</dt><dd>${yesNo(user.isActive)}</dd><dt>Staff</dt><dd>${yesNo(user.isStaff)}</dd><dt>Superuser</dt><dd>${yesNo(user.isSuperuser)}</dd>
<dt>Second factor</dt><dd>TOTP ${yesNo(totp?.confirmed === true)} · passkeys: ${passkeys}</dd>
<dt>Joined</dt><dd>${when(user.dateJoined)}</dd><dt>Last login</dt><dd>${when(user.lastLogin)}</dd>
</dl></section>
<section class="card"><h2>Actions</h2><div class="actions">
${user.isActive ? button("deactivate", "Deactivate", "danger") : button("activate", "Activate", "")}
${button("password-reset", "Send password reset mail")}
${button("second-factor-reset", "Reset second factor")}
${superuser ? (user.isStaff ? button("unstaff", "Revoke staff") : button("staff", "Make staff")) : ""}
${superuser ? (user.isSuperuser ? button("unsuperuser", "Revoke superuser") : button("superuser", "Make superuser")) : ""}
<a class="button danger" href="${base}/delete">Delete…</a>
</div>${superuser ? "" : html`<p class="muted">Only superusers change the staff and superuser flags.</p>`}</section>
<section class="card"><h2>Sessions (${sessions.length})</h2>${
    sessions.length === 0
      ? html`<p class="muted">No live sessions.</p>`
      : html`<div class="table"><table><thead><tr><th>Started</th><th>Last used</th><th>Ends</th><th>IP</th><th>Device</th><th></th></tr></thead><tbody>${sessions.map(
          (
            session,
          ) => html`<tr><td>${when(session.createdAt)}</td><td>${when(session.lastUsedAt)}</td><td>${when(session.expiresAt)}</td>
<td>${session.ip ?? ""}</td><td class="wrap">${session.userAgent ?? ""}</td>
<td>${postButton(`${base}/sessions/${encodeURIComponent(session.id)}/revoke`, ctx.csrf, "Revoke", "secondary")}</td></tr>`,
        )}</tbody></table></div><p>${button("sessions/revoke-all", "Revoke all sessions", "danger")}</p>`
  }</section>
<section class="card"><h2>Tasks (${tasks.count})</h2>${
    tasks.rows.length === 0
      ? html`<p class="muted">No tasks.</p>`
      : html`<div class="table"><table><thead><tr><th>Title</th><th>Done</th><th>Created</th></tr></thead><tbody>${tasks.rows.map(
          (task) =>
            html`<tr><td class="wrap">${task.title}</td><td>${yesNo(task.is_completed)}</td><td>${task.created_at.slice(0, 16).replace("T", " ")}</td></tr>`,
        )}</tbody></table></div>${tasks.count > TASKS_SHOWN ? html`<p class="muted">The newest ${TASKS_SHOWN} are shown.</p>` : ""}`
  }</section>
<section class="card"><h2>Recent events</h2><p><a href="/admin/audit?user=${encodeURIComponent(user.username)}">The whole audit trail of ${user.username} →</a></p>
<div class="table"><table><tbody>${events.map(
    (event) =>
      html`<tr><td>${when(event.occurredAt)}</td><td>${event.event}</td><td class="wrap"><code>${event.detail ? JSON.stringify(event.detail) : ""}</code></td></tr>`,
  )}</tbody></table></div></section>`;
  return staffPage(ctx, user.username, body);
}

export async function confirmDeletePage(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  const body = html`<p><a href="/admin/users/${user.id}">← ${user.username}</a></p><section class="card narrow">
<h1>Delete ${user.username}?</h1><p>The account goes with its tasks, sessions and second factors. Its audit trail stays. This cannot be undone.</p>
<div class="actions">${postButton(`/admin/users/${user.id}/delete`, ctx.csrf, "Yes, delete", "danger", html`<input type="hidden" name="confirm" value="yes">`)}
<a class="button" href="/admin/users/${user.id}">Cancel</a></div></section>`;
  return staffPage(ctx, `Delete ${user.username}`, body);
}
