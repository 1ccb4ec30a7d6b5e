/**
 * Why the server could not listen, as one line that names the variable to
 * change (no stack trace: nothing is wrong with the code); undefined for any
 * other error.
 */
export function describeListenFailure(
  error: unknown,
  http: { host: string | undefined; port: number },
): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case "EADDRINUSE":
      return `Port ${http.port} is already in use: set PORT to a free port (PORT=0 picks one).`;
    case "EACCES":
      return `Port ${http.port} needs privileges this process does not have: set PORT to a port above 1023.`;
    case "EADDRNOTAVAIL":
      return `HOST ${http.host} is not an address of this machine: set HOST to one of its addresses, or leave it unset.`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `HOST ${http.host} cannot be resolved: set HOST to an address of this machine, or leave it unset.`;
    default:
      return undefined;
  }
}
