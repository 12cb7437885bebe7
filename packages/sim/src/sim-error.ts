/** An error the simulator answers with: an HTTP status, an AWS/Kubernetes error code and a message. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}
