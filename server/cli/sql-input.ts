// Where a statement typed at the SQL prompt ends: at a semicolon outside
// quotes, quoted identifiers, dollar quotes and comments, as psql decides.

const DOLLAR_TAG = /\$(?:[A-Za-z_]\w*)?\$/y;

function dollarTagAt(text: string, at: number): string | undefined {
  DOLLAR_TAG.lastIndex = at;
  return DOLLAR_TAG.exec(text)?.[0];
}

/** Whether `text` ends with a complete statement (its last significant character is a `;`). */
export function endsStatement(text: string): boolean {
  let last = "";
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? "";
    const tag = char === "$" ? dollarTagAt(text, at) : undefined;
    if (char === "'" || char === '"') {
      const close = text.indexOf(char, at + 1);
      if (close < 0) return false;
      // A doubled quote is an escaped one: the scan goes on past it.
      at = close + 1;
      last = char;
    } else if (text.startsWith("--", at)) {
      const newline = text.indexOf("\n", at);
      if (newline < 0) break;
      at = newline + 1;
    } else if (text.startsWith("/*", at)) {
      const close = blockCommentEnd(text, at);
      if (close < 0) return false;
      at = close;
    } else if (tag) {
      const close = text.indexOf(tag, at + tag.length);
      if (close < 0) return false;
      at = close + tag.length;
      last = "$";
    } else {
      if (!/\s/.test(char)) last = char;
      at += 1;
    }
  }
  return last === ";";
}

/** PostgreSQL's block comments nest. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  for (let at = start; at < text.length - 1; at += 1) {
    if (text.startsWith("/*", at)) {
      depth += 1;
      at += 1;
    } else if (text.startsWith("*/", at)) {
      depth -= 1;
      at += 1;
      if (depth === 0) return at + 1;
    }
  }
  return -1;
}
