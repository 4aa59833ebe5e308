/**
 * The transient fold of the lifecycle state: the state after many events when only the last one is
 * wanted (a replay, a catch-up). Equal to `evolve` applied event by event, on every prefix; it skips
 * the intermediate states a filesystem event makes (it changes nothing but the seq there), so a run
 * of them costs a check each and one new state at its end.
 * Contract: docs/architecture.md#replay · laws: test/replay.transient.test.ts
 */
import type { EventEnvelope } from "../events/envelope.js";
import type { ContainerRecord, EngineState } from "./EngineState.js";
import { checkFsEvent, evolve } from "./evolve.js";

export class CoreFold {
  /** The state as of some event at or before `#seq`; only the seq may lag behind. */
  #state: EngineState;
  #seq: number;
  /** The last container record and fs event type the lifecycle accepted. */
  #accepted: ContainerRecord | undefined;
  #acceptedType: string | undefined;

  constructor(state: EngineState) {
    this.#state = state;
    this.#seq = state.seq;
  }

  /** Folds one more event in; throws what `evolve` throws (a {@link ReplayError} naming its seq). */
  add(event: EventEnvelope): void {
    if (event.seq === this.#seq + 1 && event.type.startsWith("fs.")) {
      // Nothing but the seq changes, as evolve says: the containers are those of #state.
      const before = this.#state.containers[event.streamId];
      if (before !== undefined) {
        // The answer depends on the record's state and the type alone: a run asks once.
        if (before !== this.#accepted || event.type !== this.#acceptedType) {
          checkFsEvent(before, event);
          this.#accepted = before;
          this.#acceptedType = event.type;
        }
        this.#seq = event.seq;
        return;
      }
    }
    this.#state = evolve(this.state(), event);
    this.#seq = this.#state.seq;
  }

  /** The state after the last event folded in (frozen, as `evolve` leaves it). */
  state(): EngineState {
    if (this.#state.seq !== this.#seq) this.#state = Object.freeze({ ...this.#state, seq: this.#seq });
    return this.#state;
  }
}
