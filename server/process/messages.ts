/** What a worker tells the primary over the cluster's IPC channel, besides metrics. */
export const LISTEN_FAILED = "worker:listen-failed";

/** The exit code of a worker that cannot listen: the primary does not start another. */
export const EXIT_CANNOT_LISTEN = 78;

export interface ListenFailed {
  type: typeof LISTEN_FAILED;
  reason: string;
}

export const isListenFailed = (message: unknown): message is ListenFailed =>
  (message as { type?: unknown } | undefined)?.type === LISTEN_FAILED;
