/** A LIKE/ILIKE pattern matching `text` anywhere, with `%`, `_` and `\` in it matching themselves. */
export const containing = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
