/**
 * The state's indexes (containers, images, layers by id; names; tags) are keyed by what users type, so
 * a name that is also a property of Object.prototype must be just a name.
 */
import { findContainer, findImage, initialState, replay } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario } from "./support/scenario.js";

const OBJECT_PROPERTY_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"];

describe("indexes keyed by user input", () => {
  test("a reference that is an Object.prototype property finds nothing in an empty state", () => {
    const state = initialState();
    for (const ref of OBJECT_PROPERTY_NAMES) {
      expect(findContainer(state, ref)).toBeUndefined();
      expect(findImage(state, ref)).toBeUndefined();
    }
    const s = new Scenario().given(baseImage);
    const r = s.when({ type: "container.start", container: "constructor" });
    expect(r.ok ? "ok" : r.error.message).toBe("No such container: constructor");
  });

  test("containers and tags named like Object.prototype properties work like any other", () => {
    const s = new Scenario().given(baseImage);
    for (const name of OBJECT_PROPERTY_NAMES) {
      s.given(
        { type: "container.create", image: "base:1", name },
        { type: "container.start", container: name },
      );
      expect(s.status(name)).toBe("running");
    }
    s.given({ type: "image.tag", image: "base:1", tag: "constructor:latest" });
    expect(findImage(s.state, "constructor:latest")?.image.id).toBe(findImage(s.state, "base:1")?.image.id);
    expect(replay(s.engine.log.read())).toEqual(s.state);
  });
});
