/** The bot's command menu: what `cockpit telegram set-webhook` registers with setMyCommands. */
export const COMMAND_LIST = [
  { command: "start", description: "Sign in with your organization account" },
  { command: "repo", description: "Manage your AYS repositories" },
  { command: "blueprint", description: "Add, show, execute and delete blueprints" },
  { command: "service", description: "Inspect services; execute, disable or enable their actions" },
  { command: "run", description: "Create, simulate, follow, re-run and cancel runs" },
  { command: "help", description: "Show what I can do" },
  { command: "cancel", description: "Forget the question I asked you" },
  { command: "unlink", description: "Unlink this Telegram account from your organization account" },
] as const;
