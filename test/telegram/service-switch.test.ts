/** /service disable and /service enable: typed, and from the inspect view's buttons. */
import { describe, it } from "vitest";
import type { ServiceView } from "../../src/actors/repository/views.ts";
import { api } from "../helpers/auth.ts";
import { button, callbackUpdate, converse, linkUser, textUpdate, withFakes } from "../helpers/telegram.ts";

const fakes = withFakes();

const stateOf = async (action: string) =>
  ((await (await api("/ays/repository/switches/service/box/one")).json()) as ServiceView).actions.find((a) => a.name === action)?.state;

describe("/service disable and enable", () => {
  it("disables an action chosen from the inspect view's buttons, refuses to schedule it, and enables it by command", async ({ expect }) => {
    const ivy = { id: 7401, first_name: "Ivy" };
    await linkUser(fakes.bot, fakes.provider, ivy, "ivy");
    await converse(fakes.bot, textUpdate(ivy, "/repo create switches"), ivy.id, "it's now your current working repo");
    expect((await api("/ays/repository/switches/template", { method: "POST", json: { name: "box", actions: "export function install() {}" } })).status).toBe(201);
    expect((await api("/ays/repository/switches/blueprint", { method: "POST", json: { name: "b.yaml", content: "box__one:\n" } })).status).toBe(201);
    expect((await api("/ays/repository/switches/blueprint/b.yaml", { method: "POST" })).status).toBe(200);

    const inspected = await converse(fakes.bot, textUpdate(ivy, "/service inspect box!one"), ivy.id, "box!one");
    expect(() => button(inspected, "Enable an action")).toThrow();
    const actions = await converse(fakes.bot, callbackUpdate(ivy, button(inspected, "Disable an action")), ivy.id, "Select the action you want to disable");
    await converse(fakes.bot, callbackUpdate(ivy, button(actions, "install")), ivy.id, "<code>install</code> disabled on <code>box!one</code>. Runs skip it until it is enabled.");
    expect(await stateOf("install")).toBe("disabled");

    await converse(fakes.bot, textUpdate(ivy, "/service execute box!one install"), ivy.id, "Sorry: schedule: install: action install of box!one is disabled");
    await converse(fakes.bot, textUpdate(ivy, "/service disable box!one install"), ivy.id, "Sorry: action install of box!one: cannot disable an action that is disabled");
    const again = await converse(fakes.bot, textUpdate(ivy, "/service inspect box!one"), ivy.id, "box!one");
    expect(button(again, "Enable an action")).toBeTruthy();

    await converse(fakes.bot, textUpdate(ivy, "/service enable box!one install"), ivy.id, "<code>install</code> enabled on <code>box!one</code>. Schedule it to run it.");
    expect(await stateOf("install")).toBe("new");
    await converse(fakes.bot, textUpdate(ivy, "/service enable box!one"), ivy.id, "No action to enable on <code>box!one</code>.");
    await converse(fakes.bot, textUpdate(ivy, "/help"), ivy.id, "/service disable web!front monitor");
  });
});
