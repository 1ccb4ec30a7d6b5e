// @simplewebauthn/server, loaded on a worker's first passkey ceremony: it is
// the heaviest dependency in memory, and most workers of a busy server never
// see a passkey (bench/README.md, peak RSS).

let module: Promise<typeof import("@simplewebauthn/server")> | undefined;

export const webauthn = () => {
  module ??= import("@simplewebauthn/server");
  return module;
};
