/**
 * A message bus between the tabs of one origin: BroadcastChannel where there
 * is one, else the `storage` event of localStorage (which fires in every tab
 * but the writer). Without either, nothing is sent and nothing arrives.
 */
export interface TabChannel {
  post(message: unknown): void;
  close(): void;
}

interface BroadcastChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  /** Node's: lets the process exit with the channel open. */
  unref?(): void;
}

interface StorageEventLike {
  key: string | null;
  newValue: string | null;
}

interface BrowserGlobals {
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  localStorage?: { setItem(key: string, value: string): void; removeItem(key: string): void };
  addEventListener?(type: "storage", listener: (event: StorageEventLike) => void): void;
  removeEventListener?(type: "storage", listener: (event: StorageEventLike) => void): void;
}

export function openTabChannel(name: string, receive: (message: unknown) => void): TabChannel {
  const scope = globalThis as unknown as BrowserGlobals;
  if (typeof scope.BroadcastChannel === "function") {
    const channel = new scope.BroadcastChannel(name);
    channel.unref?.();
    channel.onmessage = (event) => receive(event.data);
    return { post: (message) => channel.postMessage(message), close: () => channel.close() };
  }
  const storage = scope.localStorage;
  if (storage && scope.addEventListener && scope.removeEventListener) {
    const key = `${name}:message`;
    const listener = (event: StorageEventLike) => {
      if (event.key !== key || event.newValue === null) return;
      try {
        receive((JSON.parse(event.newValue) as { message: unknown }).message);
      } catch {
        // Not ours to read.
      }
    };
    scope.addEventListener("storage", listener);
    let sent = 0;
    return {
      post(message) {
        // A nonce, so that the same message twice is still a change; removed at once, so that
        // nothing lingers in storage (the removal's own event carries no value and is ignored).
        sent += 1;
        storage.setItem(key, JSON.stringify({ message, nonce: `${Date.now()}-${sent}-${Math.random()}` }));
        storage.removeItem(key);
      },
      close: () => scope.removeEventListener?.("storage", listener),
    };
  }
  return { post() {}, close() {} };
}
