/** A generation that cannot go on: the message names the phase, the VP or discipline, and the problems. */
export class GenesisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenesisError';
  }
}
