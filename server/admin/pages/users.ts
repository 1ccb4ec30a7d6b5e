import { countUsers, listUsers, USER_ORDER_COLUMNS, type UserFilter } from "../../db/repositories/user-list.js";
import { type StaffContext, staffPage, textParam } from "../context.js";
import { type Html, html } from "../html.js";
import { when, yesNo } from "../layout.js";
import { pager, pagingOf } from "../pager.js";
import { choiceParam, dayParam, flagParam } from "../query.js";
import type { AdminReply } from "../reply.js";

const PAGE_SIZE = 50;
const ORDERS = USER_ORDER_COLUMNS.flatMap((column) => [column, `-${column}`] as const);
const ORDER_LABELS: Record<string, string> = {
  id: "id",
  username: "username",
  email: "email",
  date_joined: "joined",
  last_login: "last login",
};

function filterOf(query: URLSearchParams): UserFilter {
  const entries: Array<[keyof UserFilter, unknown]> = [
    ["search", textParam(query, "q")],
    ["active", flagParam(query, "active")],
    ["staff", flagParam(query, "staff")],
    ["secondFactor", flagParam(query, "second_factor")],
    ["joinedFrom", dayParam(query, "joined_from")],
    ["joinedBefore", dayParam(query, "joined_to", true)],
    ["lastLoginFrom", dayParam(query, "login_from")],
    ["lastLoginBefore", dayParam(query, "login_to", true)],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as UserFilter;
}

const flagSelect = (query: URLSearchParams, name: string, label: string) => {
  const value = query.get(name) ?? "";
  const option = (option: string, text: string) =>
    html`<option value="${option}"${value === option ? html` selected` : ""}>${text}</option>`;
  return html`<div><label for="${name}">${label}</label><select id="${name}" name="${name}">${option("", "any")}${option("yes", "yes")}${option("no", "no")}</select></div>`;
};

const dayInput = (query: URLSearchParams, name: string, label: string) =>
  html`<div><label for="${name}">${label}</label><input id="${name}" name="${name}" type="date" value="${query.get(name) ?? ""}"></div>`;

function filters(query: URLSearchParams): Html {
  const order = query.get("order") ?? "id";
  return html`<form method="get" action="/admin/users" class="card filters">
<div class="wide"><label for="q">Search username, email or name</label><input id="q" name="q" type="search" value="${query.get("q") ?? ""}"></div>
${flagSelect(query, "active", "Active")}${flagSelect(query, "staff", "Staff")}${flagSelect(query, "second_factor", "Second factor")}
${dayInput(query, "joined_from", "Joined from")}${dayInput(query, "joined_to", "Joined until")}
${dayInput(query, "login_from", "Last login from")}${dayInput(query, "login_to", "Last login until")}
<div><label for="order">Order by</label><select id="order" name="order">${ORDERS.map(
    (value) =>
      html`<option value="${value}"${value === order ? html` selected` : ""}>${ORDER_LABELS[value.replace("-", "")]}${value.startsWith("-") ? " ↓" : " ↑"}</option>`,
  )}</select></div>
<div><button type="submit">Filter</button></div></form>`;
}

export async function listUsersPage(ctx: StaffContext): Promise<AdminReply> {
  const query = ctx.url.searchParams;
  const filter = filterOf(query);
  const order = choiceParam(query, "order", ORDERS) ?? "id";
  const paging = pagingOf(query, PAGE_SIZE);
  const [users, counts] = await Promise.all([
    listUsers(ctx.deps.db, filter, {
      limit: paging.limit,
      offset: paging.offset,
      order: { column: order.replace("-", "") as UserFilterColumn, descending: order.startsWith("-") },
    }),
    countUsers(ctx.deps.db, filter),
  ]);
  const rows = users.map(
    (
      user,
    ) => html`<tr><td><a href="/admin/users/${user.id}">${user.username}</a></td><td class="wrap">${user.email}</td>
<td>${`${user.firstName} ${user.lastName}`.trim()}</td><td>${yesNo(user.isActive)}</td><td>${yesNo(user.isStaff)}</td>
<td>${yesNo(user.hasSecondFactor)}</td><td>${when(user.lastLogin)}</td><td>${when(user.dateJoined)}</td></tr>`,
  );
  const body = html`<h1>Users</h1>${filters(query)}
<p class="muted">${counts.matching} matching of ${counts.total} (${counts.active} active, ${counts.staff} staff).</p>
<div class="table"><table><thead><tr><th>Username</th><th>Email</th><th>Name</th><th>Active</th><th>Staff</th><th>2nd factor</th><th>Last login</th><th>Joined</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="8" class="muted">No users match.</td></tr>`}</tbody></table></div>
${pager("/admin/users", query, paging, counts.matching)}`;
  return staffPage(ctx, "Users", body);
}

type UserFilterColumn = (typeof USER_ORDER_COLUMNS)[number];
