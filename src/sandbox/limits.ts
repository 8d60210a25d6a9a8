/**
 * Limits of one job. They protect the cockpit (its memory, its R2 bucket, its logs) from an action,
 * whether buggy or hostile. Production also has the platform's own limits: 128 MB per isolate and
 * the `cpuMs` we pass per invocation.
 */
export const SANDBOX_LIMITS = {
  /** Largest accepted timeoutMs (the design's default job timeout is 3000 s). */
  maxTimeoutMs: 6 * 60 * 60 * 1000,
  /**
   * CPU budget of one job: handed to the Worker Loader (`limits.cpuMs`, enforced per invocation in
   * production; the platform's maximum is 5 minutes) and, locally, the longest the action may hold
   * the thread without waiting. `[jobs] cpu_ms` sets it; this is its default.
   */
  defaultCpuMs: 30 * 1000,
  maxCpuMs: 5 * 60 * 1000,
  /** Largest accepted actions.js source, in characters. */
  maxCodeChars: 1024 * 1024,
  /** Log lines kept per job; later ones are counted and dropped. */
  maxLogEntries: 1000,
  /** Longest log line, in characters; longer ones are cut. */
  maxLogChars: 8 * 1024,
  /** Size of the JSON of the action's return value. */
  maxResultBytes: 1024 * 1024,
  /** Size of the JSON of all setData patches together. */
  maxDataPatchBytes: 1024 * 1024,
  /** Fetches per job (redirects count). */
  maxFetches: 50,
  maxRedirects: 5,
  /** job.notify calls per job, and the longest message (Telegram's limit is 4096 with the prefix). */
  maxNotifications: 20,
  maxNotifyChars: 3500,
  /** job.ask: answer buttons, the longest button, and the longest wait. */
  maxAskButtons: 12,
  maxAskButtonChars: 64,
  maxAskTimeoutSeconds: 24 * 3600,
  /** Request bodies are buffered (so redirects can re-send them) up to this size. */
  maxFetchBodyBytes: 8 * 1024 * 1024,
  /** Result files: each, how many, and all together. */
  maxResultFileBytes: 16 * 1024 * 1024,
  maxResultFiles: 50,
  maxResultBytesTotal: 64 * 1024 * 1024,
  /** Largest JSON part of job.args read from R2 (an event payload: GitHub's 25 MB, mail's 25 MiB, escaped). */
  maxArgPartBytes: 64 * 1024 * 1024,
  /** Largest input file an action may read in one call. */
  maxInputReadBytes: 32 * 1024 * 1024,
  /** Largest ArrayBuffer or typed array the sandbox lets an action allocate in one go. */
  maxBufferBytes: 128 * 1024 * 1024,
} as const;
