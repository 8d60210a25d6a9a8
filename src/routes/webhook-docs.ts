/**
 * What `POST /webhooks/github` takes, for /openapi.json only: GitHub's headers and its JSON body.
 * Plain OpenAPI objects, not zod schemas: the route reads the raw body itself (the signature is over
 * its bytes) and checks the headers in its own order, so nothing here may validate the request.
 */
export const GITHUB_DELIVERY_REQUEST = {
  parameters: [
    {
      name: "X-GitHub-Event",
      in: "header" as const,
      required: true,
      description: "the event's name, lower-case letters, digits and `_` (`push`, `issues`, `projects_v2_item`): the Webhook event's command",
      schema: { type: "string" as const, pattern: "^[a-z][a-z0-9_]{0,63}$" },
    },
    {
      name: "X-GitHub-Delivery",
      in: "header" as const,
      required: true,
      description: "the delivery's id: a redelivery with the same id is answered `duplicate: true` and not emitted again",
      schema: { type: "string" as const, pattern: "^[A-Za-z0-9-]{1,100}$" },
    },
    {
      name: "X-Hub-Signature-256",
      in: "header" as const,
      required: true,
      description: "`sha256=<hex HMAC-SHA256 of the raw body>` with [webhooks] github_secret",
      schema: { type: "string" as const, pattern: "^sha256=[0-9a-f]{64}$" },
    },
  ],
  requestBody: {
    required: true,
    description: "the event's payload as GitHub sends it (the webhook's content type set to application/json), stored as it came",
    content: { "application/json": { schema: { type: "object" as const, additionalProperties: true } } },
  },
};
