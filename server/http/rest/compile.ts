import type { AnyTRPCProcedure } from "@trpc/server";
import { procedureAt, procedureInfo } from "../../procedure-table.js";
import { protectedProcedure } from "../../trpc.js";
import { type CoercionPlan, coercionPlan } from "./coerce.js";
import type { RestRoute } from "./routes.js";

// The route table, compiled once at start: paths to patterns, each route to
// its procedure and coercion plan.

export interface CompiledRoute {
  route: RestRoute;
  plan: CoercionPlan;
  procedure: AnyTRPCProcedure;
  /** The procedure has an input schema: without one, nothing of the request is read for it. */
  takesInput: boolean;
}

export interface PathEntry {
  /** The path as declared, for metrics and logs. */
  template: string;
  pattern: RegExp;
  params: string[];
  textParams: ReadonlySet<string>;
  byMethod: Map<string, CompiledRoute[]>;
  /** DRF sends `Allow` on every response of a view, not only on 405. */
  allow: string;
  /**
   * For a view whose every method needs a token: the procedure that
   * authenticates a request it cannot serve (an OPTIONS, a 405, an id that
   * names nothing) before it is refused, as DRF does, by the same chain as
   * its routes.
   */
  authenticateFirst: AnyTRPCProcedure | undefined;
}

/** Authenticates, and does nothing else. */
const authenticated = protectedProcedure.query(() => ({}));

/** Paths match with or without the trailing slash; `:id` parameters match any segment (checked later). */
export function compileRoutes(table: readonly RestRoute[]): PathEntry[] {
  const entries = new Map<string, PathEntry & { everyRouteProtected: boolean }>();
  for (const route of table) {
    const bare = route.path.replace(/\/+$/, "");
    let entry = entries.get(bare);
    if (!entry) {
      const params: string[] = [];
      const source = bare.replace(/:([a-z]+)/gi, (_match, name: string) => {
        params.push(name);
        return "([^/]+)";
      });
      entry = {
        template: route.path,
        pattern: new RegExp(`^${source}/?$`),
        params,
        textParams: new Set(route.textParams ?? []),
        byMethod: new Map(),
        allow: "",
        authenticateFirst: undefined,
        everyRouteProtected: true,
      };
      entries.set(bare, entry);
    }
    const candidates = entry.byMethod.get(route.method) ?? [];
    const { input } = procedureInfo(route.procedure);
    candidates.push({
      route,
      plan: coercionPlan(input, route.lenientFields),
      procedure: procedureAt(route.procedure),
      takesInput: input !== undefined,
    });
    entry.byMethod.set(route.method, candidates);
    entry.everyRouteProtected &&= route.auth === true;
  }
  return [...entries.values()].map(({ everyRouteProtected, ...entry }) => {
    const methods = [...entry.byMethod.keys()];
    if (methods.includes("GET")) methods.push("HEAD");
    return {
      ...entry,
      allow: [...methods, "OPTIONS"].join(", "),
      authenticateFirst: everyRouteProtected ? authenticated : undefined,
    };
  });
}

/**
 * Paths without parameters, found without trying every pattern: keyed without
 * the trailing slash, and only where no earlier pattern would have matched first.
 */
export function exactPaths(entries: readonly PathEntry[]): Map<string, PathEntry> {
  const exact = new Map<string, PathEntry>();
  entries.forEach((entry, index) => {
    if (entry.params.length > 0) return;
    const bare = entry.template.replace(/\/+$/, "");
    if (entries.slice(0, index).some((earlier) => earlier.pattern.test(bare))) return;
    exact.set(bare, entry);
  });
  return exact;
}

/** Ids as Django parses them (`01` is 1), or plain text keys; anything else names no object. */
export function pathParams(entry: PathEntry, captures: readonly string[]): Record<string, number | string> | undefined {
  const params: Record<string, number | string> = {};
  for (const [index, name] of entry.params.entries()) {
    const raw = captures[index] ?? "";
    if (entry.textParams.has(name)) {
      if (!/^[\w-]{1,64}$/.test(raw)) return undefined;
      params[name] = raw;
      continue;
    }
    const id = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    params[name] = id;
  }
  return params;
}
