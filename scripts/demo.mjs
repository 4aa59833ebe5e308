#!/usr/bin/env node
// The README's main job: the lifecycle walkthrough, from the built @strata/core.
import { runLifecycleDemo } from "@strata/core";

runLifecycleDemo((line) => console.log(line));
