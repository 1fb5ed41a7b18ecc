/** The time, injectable so handlers and the engine can be tested at fixed instants. */
export abstract class Clock {
  abstract now(): Date;
}
