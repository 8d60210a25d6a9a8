import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { converse, linkUser, textUpdate, withFakes } from "../helpers/telegram.ts";

const fakes = withFakes();

describe("/service list", () => {
  it("shows the first services of a big repository and says there are more, instead of everything", async ({ expect }) => {
    const tess = { id: 7301, first_name: "Tess" };
    await linkUser(fakes.bot, fakes.provider, tess, "tess");
    await converse(fakes.bot, textUpdate(tess, "/repo create manyboxes"), tess.id, "it's now your current working repo");
    const template = await api("/ays/repository/manyboxes/template", { method: "POST", json: { name: "box", actions: "export function install() {}" } });
    expect(template.status).toBe(201);
    const content = `${Array.from({ length: 300 }, (_, i) => `box__b${String(i).padStart(3, "0")}:`).join("\n")}\n`;
    expect((await api("/ays/repository/manyboxes/blueprint", { method: "POST", json: { name: "many.yaml", content } })).status).toBe(201);
    expect((await api("/ays/repository/manyboxes/blueprint/many.yaml", { method: "POST" })).status).toBe(200);

    const listed = await converse(fakes.bot, textUpdate(tess, "/service list"), tess.id, "box!b000");
    const text = String(listed.payload.text);
    const shown = text.match(/box!b\d{3}/g) ?? [];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(50);
    expect(shown).not.toContain("box!b299");
    expect(text).toMatch(/and more/);

    // One service is still found by its key, past the first page.
    await converse(fakes.bot, textUpdate(tess, "/service inspect box!b299"), tess.id, "box!b299");
  });
});
