// The console's one script: the passkey step of the staff sign-in
// (server/admin/pages/second-factor.ts). It asks the console for options,
// has the browser's authenticator sign them, and posts the answer with the
// page's own form, so that what comes back (the console, or the page with
// its error) is a page like any other. Written by hand, for browsers as they
// come: no build, no library, no CDN, and no WebAuthn JSON helpers, which
// not every browser the console serves has.

const form = document.getElementById("passkey");
const button = form?.querySelector("button");
const notice = form?.querySelector("[role=alert]");

/** base64url text to the bytes WebAuthn takes. */
function toBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

/** WebAuthn's bytes to base64url text. */
function toText(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function requestOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: (json.allowCredentials ?? []).map((credential) => ({
      ...credential,
      id: toBytes(credential.id),
    })),
  };
}

/** The assertion as WebAuthn's JSON (PublicKeyCredential.toJSON()), which the server reads. */
function assertionJson(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      ...(response.userHandle ? { userHandle: toText(response.userHandle) } : {}),
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
  };
}

function say(message) {
  notice.textContent = message;
  notice.hidden = false;
}

async function usePasskey() {
  button.disabled = true;
  notice.hidden = true;
  try {
    const csrf = form.elements.namedItem("csrf").value;
    const answer = await fetch(form.dataset.options, {
      method: "POST",
      body: new URLSearchParams({ csrf }),
      credentials: "same-origin",
    });
    // 403: the waiting session ended (it lasts five minutes), or passkeys are off on this server.
    if (!answer.ok) throw new Error(`The passkey step could not start (HTTP ${answer.status}): sign in again.`);
    const credential = await navigator.credentials.get({ publicKey: requestOptions(await answer.json()) });
    form.elements.namedItem("credential").value = JSON.stringify(assertionJson(credential));
    form.submit();
  } catch (error) {
    say(error?.name === "NotAllowedError" ? "No passkey was used (cancelled or timed out): try again." : error.message);
    button.disabled = false;
  }
}

if (form && button && notice) {
  if (window.PublicKeyCredential && navigator.credentials) {
    button.hidden = false;
    button.addEventListener("click", usePasskey);
  } else {
    say("This browser cannot use passkeys: sign in with another one.");
  }
}
